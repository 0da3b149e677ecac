"""The event bus on a 3-node JetStream cluster: streams keep three copies, and a publish made
while the stream's leader is dead waits for the new leader instead of failing."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js.api import StreamInfo

from services.kernel.jetstream import ConsumerSpec, EventBus, ReceivedEvent, producer_stream
from services.mesh.nats_cluster import NatsCluster
from speechflow.events.v1 import events_pb2

REPLICAS = 3


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
