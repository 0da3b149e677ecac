"""The event bus on a 3-node JetStream cluster: streams keep three copies; a publish or an
ack made while the stream's or consumer's leader is dead waits for the new leader instead of
failing; a follower of a subject (ephemeral, one copy) comes back after its server dies."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import StreamInfo

from services.kernel.following import follow_subject
from services.kernel.jetstream import ConsumerSpec, EventBus, ReceivedEvent, producer_stream
from services.mesh.nats_cluster import NatsCluster
from speechflow.events.v1 import events_pb2

REPLICAS = 3
# Seen at about 20 s: the election, then the ordered consumer's missed heartbeats.
FOLLOWER_RECOVERY_SECONDS = 45


@pytest.fixture
async def cluster_bus(nats_cluster: NatsCluster) -> AsyncIterator[EventBus]:
    # A producer of its own per test: its stream starts empty.
    bus = await EventBus.connect(
        nats_cluster.addresses,
        source=f"cluster{uuid.uuid4().hex[:8]}",
        credentials=nats_cluster.client_credentials,
        stream_replicas=REPLICAS,
    )
    await bus.ensure_streams([producer_stream(bus.source)])
    yield bus
    await bus.close()


def subject(bus: EventBus, event: str) -> str:
    return f"speechflow.{bus.source}.v1.{event}"


async def stream_info(bus: EventBus) -> StreamInfo:
    return await bus.js.stream_info(producer_stream(bus.source).name)


async def test_cluster_streams_keep_a_copy_on_every_node(cluster_bus: EventBus) -> None:
    info = await stream_info(cluster_bus)
    assert info.config.num_replicas == REPLICAS
    assert info.cluster is not None
    assert info.cluster.leader
    followers = info.cluster.replicas or []
    assert len(followers) == REPLICAS - 1
    assert info.cluster.leader not in {f.name for f in followers}


async def test_cluster_publish_waits_out_the_stream_leaders_death(
    nats_cluster: NatsCluster, cluster_bus: EventBus
) -> None:
    await cluster_bus.publish(subject(cluster_bus, "before"), events_pb2.JobContext())
    leader = nats_cluster.stream_leader(producer_stream(cluster_bus.source).name)
    leader.kill()
    try:
        await cluster_bus.publish(subject(cluster_bus, "during"), events_pb2.JobContext())
        info = await stream_info(cluster_bus)
        assert info.cluster is not None
        assert info.cluster.leader != leader.server_name
    finally:
        await asyncio.to_thread(nats_cluster.restart_node, leader)
    assert (await stream_info(cluster_bus)).state.messages == 2


async def test_cluster_ack_waits_out_the_consumer_leaders_death(
    nats_cluster: NatsCluster, cluster_bus: EventBus
) -> None:
    stream = producer_stream(cluster_bus.source).name
    spec = ConsumerSpec(stream, "cluster-ack", [subject(cluster_bus, ">")])
    await cluster_bus.ensure_consumer(spec)
    info = await cluster_bus.js.consumer_info(stream, spec.durable)
    assert info.cluster is not None
    assert info.cluster.leader
    leader = nats_cluster.node(info.cluster.leader)
    handled: list[str] = []

    async def kill_leader_then_finish(event: ReceivedEvent) -> None:
        # The handler's effect is done; the ack is what meets the dead leader.
        await asyncio.to_thread(leader.kill)
        handled.append(event.event_id)

    cluster_bus.start_consumer(spec, kill_leader_then_finish)
    try:
        await cluster_bus.publish(subject(cluster_bus, "job"), events_pb2.JobContext())
        # Well inside the ack wait (30 s): a lost ack would keep the message pending that long.
        async with asyncio.timeout(20):
            while True:
                # Unanswered while the consumer has no leader.
                with contextlib.suppress(nats.errors.Error):
                    info = await cluster_bus.js.consumer_info(stream, spec.durable, timeout=1)
                    if handled and info.num_ack_pending == 0:
                        break
                await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(nats_cluster.restart_node, leader)
    assert len(handled) == 1
    assert info.num_redelivered == 0


async def test_cluster_follower_of_a_subject_resumes_after_its_server_dies(
    nats_cluster: NatsCluster, cluster_bus: EventBus
) -> None:
    seen: list[bytes] = []
    arrived = asyncio.Event()

    async def on_message(msg: Msg) -> None:
        seen.append(msg.data)
        arrived.set()

    subscription = await follow_subject(cluster_bus, subject(cluster_bus, "deleted"), on_message)
    info = await subscription.consumer_info()
    assert info.cluster is not None
    assert info.cluster.leader
    # The ordered consumer is ephemeral with a single copy: it dies with its server.
    host = nats_cluster.node(info.cluster.leader)
    await asyncio.to_thread(host.kill)
    try:
        await cluster_bus.publish(subject(cluster_bus, "deleted"), events_pb2.JobContext())
        # The client notices the missing heartbeats and recreates the consumer elsewhere.
        async with asyncio.timeout(FOLLOWER_RECOVERY_SECONDS):
            await arrived.wait()
    finally:
        await asyncio.to_thread(nats_cluster.restart_node, host)
    assert len(seen) == 1
