"""A stage drops the late work of a superseded version before it stores anything: handed a job
of version 1 after the library moved the document to version 2, the renderer writes no PDF and
the summarizer no summary, and neither publishes; version 2's job is done as usual, to its own
versioned keys (real NATS, real local store, the real version follower)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import json_format
from nats.js.api import DeliverPolicy

from services.kernel import catalogue
from services.kernel.jetstream import EventBus, ReceivedEvent, producer_stream
from services.kernel.stage import summary_object_key, transcript_object_key
from services.kernel.storage import ObjectStore, StorageSettings, pdf_key, store_from_settings
from services.kernel.transcripts import duration, serialize_transcript
from services.kernel.versions import DocumentVersions
from services.mesh.nats_server import NatsServer
from services.renderer.worker import RenderWorker
from services.summarizer.engine import build_chain
from services.summarizer.worker import SummaryWorker
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

ARRIVAL_CEILING_SECONDS = 10.0
OWNER = "owner-1"
Handle = Callable[[ReceivedEvent], Awaitable[None]]
JobOf = Callable[[bytes], events_pb2.JobContext]


@dataclass
class Stage:
    """One stage's bus and store, the library's bus, and the versions the stage follows."""

    versions: DocumentVersions
    library: EventBus
    bus: EventBus
    store: ObjectStore


async def stage_for(name: str, tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Stage]:
    library = await EventBus.connect(nats_server.url, source="library")
    await library.ensure_streams([producer_stream("library")])
    bus = await EventBus.connect(nats_server.url, source=name)
    await bus.ensure_streams([producer_stream(name)])
    versions = DocumentVersions()
    versions.follow(bus)
    store = store_from_settings(StorageSettings(storage_backend="local", data_dir=tmp_path))
    try:
        yield Stage(versions, library, bus, store)
    finally:
        await versions.stop()
        await bus.close()
        await library.close()


@pytest.fixture
async def renderer(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Stage]:
    async for stage in stage_for(catalogue.RENDERER, tmp_path, nats_server):
        yield stage


@pytest.fixture
async def summarizer(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Stage]:
    async for stage in stage_for(catalogue.SUMMARIZER, tmp_path, nats_server):
        yield stage


def job(document_id: str, version: int) -> events_pb2.JobContext:
    return events_pb2.JobContext(
        job_id=str(uuid.uuid4()),
        document_id=document_id,
        owner_id=OWNER,
        version=version,
        title="Planning",
        original_file_name="planning.wav",
        language="en",
        duration_seconds=4.0,
    )


def store_transcript(store: ObjectStore, context: events_pb2.JobContext) -> None:
    transcript = library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(float(i)),
                end_offset=duration(i + 0.9),
                text=f"We agreed to ship the beta in May, point {i}.",
            )
            for i in range(4)
        ],
        language="en",
        revision=1,
    )
    store.put_bytes(
        transcript_object_key(context), serialize_transcript(transcript), "application/json"
    )


def store_summary(store: ObjectStore, context: events_pb2.JobContext) -> None:
    summary = events_pb2.Summary(title="Planning", summary="The team ships in May.", language="en")
    store.put_bytes(
        summary_object_key(context),
        json_format.MessageToJson(summary).encode(),
        "application/json",
    )


def command(subject: str, context: events_pb2.JobContext) -> ReceivedEvent:
    return ReceivedEvent(
        subject=subject,
        data=events_pb2.StageRequested(job=context).SerializeToString(),
        headers={},
        attempt=1,
        event_id=f"{context.document_id}-v{context.version}-command",
    )


async def supersede(stage: Stage, old: events_pb2.JobContext) -> None:
    """The library commits version 2; the stage has heard of it."""
    await stage.library.publish(
        catalogue.DOCUMENT_CHANGED,
        events_pb2.DocumentChanged(
            document_id=old.document_id, owner_id=OWNER, version=old.version + 1
        ),
    )
    async with asyncio.timeout(ARRIVAL_CEILING_SECONDS):
        await stage.versions.wait_until_stale(old)


async def first_result(
    stage: Stage,
    subject: str,
    job_of: JobOf,
    handle: Handle,
    jobs: list[events_pb2.JobContext],
) -> events_pb2.JobContext:
    """Hands the stage each job's command in turn; returns the job of the first result it
    published for the document (results arrive in publish order)."""
    results = await stage.bus.js.subscribe(
        subject, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
    )
    try:
        for context in jobs:
            step = catalogue.stage_step(stage.bus.source)
            await handle(command(step.command, context))
        while True:
            message = await results.next_msg(timeout=ARRIVAL_CEILING_SECONDS)
            found = job_of(message.data)
            if found.document_id == jobs[0].document_id:
                return found
    finally:
        await results.unsubscribe()


async def test_the_renderer_renders_only_the_current_version(renderer: Stage) -> None:
    document = str(uuid.uuid4())
    old, current = job(document, 1), job(document, 2)
    for context in (old, current):
        await asyncio.to_thread(store_transcript, renderer.store, context)
        await asyncio.to_thread(store_summary, renderer.store, context)
    await supersede(renderer, old)
    worker = RenderWorker(bus=renderer.bus, store=renderer.store, versions=renderer.versions)

    rendered = await first_result(
        renderer,
        catalogue.DOCUMENT_RENDERED,
        lambda data: events_pb2.DocumentRendered.FromString(data).job,
        worker.handle,
        [old, current],
    )

    assert rendered.version == 2
    stored = [info.key for info in renderer.store.list(f"pdfs/{OWNER}/{document}/")]
    assert stored == [pdf_key(OWNER, document, 2), f"pdfs/{OWNER}/{document}/thumbnail-v2.png"]


async def test_the_summarizer_summarizes_only_the_current_version(summarizer: Stage) -> None:
    document = str(uuid.uuid4())
    old, current = job(document, 1), job(document, 2)
    await asyncio.to_thread(store_transcript, summarizer.store, old)
    await supersede(summarizer, old)
    worker = SummaryWorker(
        bus=summarizer.bus,
        store=summarizer.store,
        chain=build_chain(),
        versions=summarizer.versions,
    )

    summarized = await first_result(
        summarizer,
        catalogue.SUMMARY_COMPLETED,
        lambda data: events_pb2.SummaryCompleted.FromString(data).job,
        worker.handle,
        [old, current],
    )

    assert summarized.version == 2
    assert summarizer.store.stat(summary_object_key(old)) is None
    assert summarizer.store.stat(summary_object_key(current)) is not None
