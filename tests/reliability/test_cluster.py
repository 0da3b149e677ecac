"""The mesh on a 3-node JetStream cluster, every stream on all three nodes: one node SIGKILLed
mid-pipeline — a follower of the library's stream, or separately that stream's leader —
loses no job, and no job gets a second PDF or email. Jobs carry on while the node is down;
it is then restarted and catches up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from services.kernel.jetstream import producer_stream
from services.mesh.nats_cluster import NatsCluster
from services.mesh.nats_server import NatsServer
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests.reliability.checks import assert_delivered_once
from tests.reliability.conftest import SignUp
from tests.reliability.ledger import LEDGER

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("target_mesh", ["mesh_nats_cluster"], indirect=True),
]

JOBS = 3
# Where the library hands jobs to the pipeline: its leader orders every job's start.
PIPELINE_STREAM = producer_stream("library").name

ChooseNode = Callable[[NatsCluster], NatsServer]


def stream_leader(cluster: NatsCluster) -> NatsServer:
    return cluster.stream_leader(PIPELINE_STREAM)


def stream_follower(cluster: NatsCluster) -> NatsServer:
    leader = cluster.stream_leader(PIPELINE_STREAM)
    return [node for node in cluster.nodes if node is not leader][-1]


async def kill_node_mid_pipeline(
    mesh: Mesh, sign_up: SignUp, speech: Path, choose: ChooseNode
) -> None:
    cluster = mesh.nats_cluster
    assert cluster is not None
    users = [await sign_up() for _ in range(JOBS)]
    data = speech.read_bytes()
    documents = [await u.upload(data, speech.name, language="en") for u in users]
    LEDGER.submitted(JOBS)
    first = users[0].watch(documents[0].id)
    await first.__anext__()  # the pipeline has started on the first job
    node = choose(cluster)
    await asyncio.to_thread(node.kill)
    try:
        # Two nodes of three carry on: a job runs to its end while the third is down.
        states = await users[-1].watch_to_end(documents[-1].id)
        assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
        assert cluster.stream_leader(PIPELINE_STREAM) is not node
    finally:
        await asyncio.to_thread(cluster.restart_node, node)
    for user, document in zip(users, documents, strict=True):
        await assert_delivered_once(mesh, user, document.id)


async def test_cluster_loses_no_job_when_a_follower_node_is_killed(
    target_mesh: Mesh, sign_up: SignUp, short_speech: Path
) -> None:
    LEDGER.scenario("SIGKILL a NATS node (stream follower) mid-pipeline, 3-node cluster")
    await kill_node_mid_pipeline(target_mesh, sign_up, short_speech, stream_follower)


async def test_cluster_loses_no_job_when_the_stream_leader_is_killed(
    target_mesh: Mesh, sign_up: SignUp, short_speech: Path
) -> None:
    LEDGER.scenario("SIGKILL the NATS stream leader mid-pipeline, 3-node cluster")
    await kill_node_mid_pipeline(target_mesh, sign_up, short_speech, stream_leader)
