"""A stage drops the late work of a superseded version before it stores anything: the renderer,
handed a job of version 1 after the library moved the document to version 2, writes no PDF and
publishes nothing, while version 2's job renders to its own versioned keys (real NATS, real
local store, the real version follower)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import json_format
from nats.js.api import DeliverPolicy

from services.kernel.catalogue import DOCUMENT_CHANGED, DOCUMENT_RENDERED, RENDER_REQUESTED
from services.kernel.jetstream import EventBus, ReceivedEvent, producer_stream
from services.kernel.stage import summary_object_key, transcript_object_key
from services.kernel.storage import ObjectStore, StorageSettings, pdf_key, store_from_settings
from services.kernel.transcripts import duration, serialize_transcript
from services.kernel.versions import DocumentVersions
from services.mesh.nats_server import NatsServer
from services.renderer.worker import RenderWorker
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

ARRIVAL_CEILING_SECONDS = 10.0


@dataclass
class Renderer:
    worker: RenderWorker
    versions: DocumentVersions
    library: EventBus
    bus: EventBus
    store: ObjectStore


@pytest.fixture
async def renderer(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Renderer]:
    library = await EventBus.connect(nats_server.url, source="library")
    await library.ensure_streams([producer_stream("library")])
    bus = await EventBus.connect(nats_server.url, source="renderer")
    await bus.ensure_streams([producer_stream("renderer")])
    store = store_from_settings(StorageSettings(storage_backend="local", data_dir=tmp_path))
    versions = DocumentVersions()
    versions.follow(bus)
    try:
        yield Renderer(
            RenderWorker(bus=bus, store=store, versions=versions), versions, library, bus, store
        )
    finally:
        await versions.stop()
        await bus.close()
        await library.close()


def job(document_id: str, version: int) -> events_pb2.JobContext:
    return events_pb2.JobContext(
        job_id=str(uuid.uuid4()),
        document_id=document_id,
        owner_id="owner-1",
        version=version,
        title="Planning",
        original_file_name="planning.wav",
        language="en",
        duration_seconds=4.0,
    )


def store_inputs(store: ObjectStore, context: events_pb2.JobContext) -> None:
    transcript = library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(0.0), end_offset=duration(3.5), text="We ship in May."
            )
        ],
        language="en",
        revision=1,
    )
    store.put_bytes(
        transcript_object_key(context), serialize_transcript(transcript), "application/json"
    )
    summary = events_pb2.Summary(title="Planning", summary="The team ships in May.", language="en")
    store.put_bytes(
        summary_object_key(context),
        json_format.MessageToJson(summary).encode(),
        "application/json",
    )


def render_requested(context: events_pb2.JobContext) -> ReceivedEvent:
    return ReceivedEvent(
        subject=RENDER_REQUESTED,
        data=events_pb2.StageRequested(job=context).SerializeToString(),
        headers={},
        attempt=1,
        event_id=f"{context.document_id}-v{context.version}-render",
    )


async def test_a_superseded_version_is_not_rendered_and_the_current_one_is(
    renderer: Renderer,
) -> None:
    document = str(uuid.uuid4())
    old, current = job(document, 1), job(document, 2)
    for context in (old, current):
        await asyncio.to_thread(store_inputs, renderer.store, context)
    await renderer.library.publish(
        DOCUMENT_CHANGED,
        events_pb2.DocumentChanged(document_id=document, owner_id="owner-1", version=2),
    )
    async with asyncio.timeout(ARRIVAL_CEILING_SECONDS):
        await renderer.versions.wait_until_stale(old)
    rendered = await renderer.bus.js.subscribe(
        DOCUMENT_RENDERED, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
    )
    try:
        await renderer.worker.handle(render_requested(old))
        await renderer.worker.handle(render_requested(current))
        # Events arrive in publish order: the first of this document is version 2's.
        while True:
            message = await rendered.next_msg(timeout=ARRIVAL_CEILING_SECONDS)
            event = events_pb2.DocumentRendered.FromString(message.data)
            if event.job.document_id == document:
                break
    finally:
        await rendered.unsubscribe()

    assert event.job.version == 2
    assert event.pdf_key == pdf_key("owner-1", document, 2)
    stored = [info.key for info in renderer.store.list(f"pdfs/owner-1/{document}/")]
    assert stored == sorted([event.pdf_key, event.thumbnail_key])
