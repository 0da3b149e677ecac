"""DocumentVersions against a real NATS server: a stage learns which versions were superseded
and which documents were deleted, from the library's stream (replayed at start, followed
live), and keeps a bounded amount of memory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from services.kernel.catalogue import DOCUMENT_CHANGED, DOCUMENT_DELETED
from services.kernel.jetstream import EventBus, producer_stream
from services.kernel.versions import DocumentVersions
from services.mesh.nats_server import NatsServer
from speechflow.events.v1 import events_pb2

# How long a published change may take to arrive; a ceiling, not a measurement.
ARRIVAL_CEILING_SECONDS = 10.0


@pytest.fixture
async def library_bus(nats_server: NatsServer) -> AsyncIterator[EventBus]:
    bus = await EventBus.connect(nats_server.url, source="library")
    await bus.ensure_streams([producer_stream("library")])
    yield bus
    await bus.close()


@pytest.fixture
async def stage_bus(nats_server: NatsServer) -> AsyncIterator[EventBus]:
    bus = await EventBus.connect(nats_server.url, source="renderer")
    yield bus
    await bus.close()


def job(document_id: str, version: int) -> events_pb2.JobContext:
    return events_pb2.JobContext(document_id=document_id, owner_id="u1", version=version)


async def changed(bus: EventBus, document_id: str, version: int) -> None:
    await bus.publish(
        DOCUMENT_CHANGED,
        events_pb2.DocumentChanged(document_id=document_id, owner_id="u1", version=version),
    )


async def deleted(bus: EventBus, document_id: str) -> None:
    await bus.publish(
        DOCUMENT_DELETED, events_pb2.DocumentDeleted(document_id=document_id, owner_id="u1")
    )


async def until_stale(versions: DocumentVersions, document_id: str, version: int) -> None:
    async with asyncio.timeout(ARRIVAL_CEILING_SECONDS):
        await versions.wait_until_stale(job(document_id, version))


async def test_changes_made_before_a_stage_started_are_replayed_before_it_decides(
    library_bus: EventBus, stage_bus: EventBus
) -> None:
    regenerated, removed = str(uuid.uuid4()), str(uuid.uuid4())
    await changed(library_bus, regenerated, 1)
    await changed(library_bus, regenerated, 2)
    await changed(library_bus, removed, 1)
    await deleted(library_bus, removed)
    versions = DocumentVersions()
    versions.follow(stage_bus)
    try:
        # still_current waits for the replay: no polling, the answer is already right.
        assert not await versions.still_current(job(regenerated, 1), before="writing")
        assert await versions.still_current(job(regenerated, 2), before="writing")
        assert not await versions.still_current(job(removed, 1), before="emailing")
    finally:
        await versions.stop()


async def test_a_regenerate_or_a_deletion_while_the_stage_runs_makes_late_work_stale(
    library_bus: EventBus, stage_bus: EventBus
) -> None:
    document = str(uuid.uuid4())
    versions = DocumentVersions()
    versions.follow(stage_bus)
    try:
        assert await versions.still_current(job(document, 1), before="writing")
        await changed(library_bus, document, 2)
        await until_stale(versions, document, 1)
        assert versions.is_current(document, 2)
        await deleted(library_bus, document)
        await until_stale(versions, document, 2)
    finally:
        await versions.stop()


def test_unknown_documents_are_current_and_memory_is_bounded() -> None:
    versions = DocumentVersions(capacity=2)
    assert versions.is_current("never-seen", 1)
    versions.changed("a", 3)
    versions.changed("b", 1)
    versions.deleted("c")
    # "a" was seen least recently, so it is forgotten first: treated as current again.
    assert versions.is_current("a", 1)
    assert not versions.is_current("c", 9)
    assert not versions.is_current("b", 0)


def test_a_change_replayed_after_the_deletion_does_not_bring_the_document_back() -> None:
    versions = DocumentVersions()
    versions.deleted("a")
    versions.changed("a", 5)
    assert not versions.is_current("a", 5)
