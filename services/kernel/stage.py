"""The runtime every pipeline stage shares: durable consumers of its inputs, retries with
backoff, a `processing.failed` event when it gives up, and job counters for `GetInfo`.

A stage's handler must be idempotent per (document, version): it may run again after a
crash or a redelivery, so it checks for its stored output before redoing work and publishes
its result with a deterministic event id (JetStream drops the duplicate)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, Protocol, TypedDict

import grpc.aio
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from services.kernel.app import ServiceApp
from services.kernel.catalogue import Consumer, processing_failed, stage_inputs, stage_step
from services.kernel.info import CountersInfo
from services.kernel.jetstream import (
    ConsumerSpec,
    EventBus,
    PermanentError,
    ReceivedEvent,
    RetryPolicy,
    producer_stream,
)
from services.kernel.metrics import STAGE_JOBS
from services.kernel.settings import ServiceSettings, env_field
from services.kernel.storage import ObjectStore, transcript_key
from services.kernel.transcripts import parse_transcript
from services.kernel.versions import CurrentVersions, DocumentVersions, EveryVersionCurrent
from services.kernel.worker import JobCounters, start_worker_service
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.stage")


class StageSettings(ServiceSettings):
    """Retry and delivery knobs shared by the pipeline stages."""

    retry_max_attempts: int = env_field(4, "PIPELINE_RETRY_MAX_ATTEMPTS", ge=1)
    retry_base_delay_seconds: float = env_field(2.0, "PIPELINE_RETRY_BASE_DELAY_SECONDS", gt=0)
    # How long JetStream waits for an ack before redelivering (heartbeats extend it while a
    # job is alive, so only a crashed worker's job comes back).
    ack_wait_seconds: float = env_field(30.0, "PIPELINE_ACK_WAIT_SECONDS", gt=0)
    concurrency: int = env_field(1, "STAGE_CONCURRENCY", ge=1)

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.retry_max_attempts,
            base_delay_seconds=self.retry_base_delay_seconds,
        )


def stage_consumer(consumer: Consumer, settings: StageSettings | None = None) -> ConsumerSpec:
    """The durable consumer through which a stage reads one of its catalogue inputs, with
    this deployment's delivery knobs."""
    knobs = settings or StageSettings.model_construct()
    return consumer.spec(ack_wait_seconds=knobs.ack_wait_seconds, concurrency=knobs.concurrency)


def job_context(event: ReceivedEvent) -> events_pb2.JobContext:
    """Every pipeline event carries its JobContext as field 1, so any of them parses as
    StageRequested for this purpose."""
    return events_pb2.StageRequested.FromString(event.data).job


def transcript_file_name(revision: int) -> str:
    """Revision 1 is what the transcriber wrote (`transcript.json`); every saved edit is a new
    file (`transcript-r2.json`, …), so a version being rendered never sees a later edit."""
    return "transcript.json" if revision <= 1 else f"transcript-r{revision}.json"


def transcript_revision_key(owner_id: str, document_id: str, revision: int) -> str:
    return transcript_key(owner_id, document_id, transcript_file_name(revision))


def transcript_object_key(job: events_pb2.JobContext) -> str:
    """The transcript revision this job works from (0 = unset = the transcriber's own)."""
    return transcript_revision_key(job.owner_id, job.document_id, job.transcript_revision)


def summary_object_key(job: events_pb2.JobContext) -> str:
    """One stored summary per document version: a regenerate never overwrites an older one."""
    return transcript_key(job.owner_id, job.document_id, f"summary-v{job.version}.json")


class EventPublisher(Protocol):
    """What a stage's handler needs of the bus (`EventBus`; a fake in a worker's unit tests)."""

    async def publish(
        self, subject: str, message: Message, *, event_id: str | None = None
    ) -> str: ...


async def report_progress(
    bus: EventPublisher,
    service: str,
    job: events_pb2.JobContext,
    progress: int,
    message: str,
    *,
    what: str,
) -> None:
    """Publishes the progress of the stage service `service` on its catalogue subject, best
    effort: a lost progress event never fails the job, and the same `what` for the same
    document version is deduplicated by JetStream."""
    step = stage_step(service)
    assert step.progressed is not None, f"the {service} reports no progress"
    report = events_pb2.ProgressReported(
        job=job,
        stage=step.stage,
        progress=progress,
        message=message,
    )
    try:
        await bus.publish(step.progressed, report, event_id=event_id(job, what))
    except Exception:
        log.warning("could not publish progress", exc_info=True)


def event_id(job: events_pb2.JobContext, what: str) -> str:
    """Deterministic per document version: a redone step publishes the same id."""
    return f"{job.document_id}-v{job.version}-{what}"


class StageWorkerParts(TypedDict):
    """What a `StageWorker` is built from. A subclass takes them as
    `**parts: Unpack[StageWorkerParts]` beside its own dependencies and hands them on."""

    bus: EventPublisher
    store: ObjectStore
    versions: NotRequired[CurrentVersions | None]


class StageWorker:
    """What every stage's job handler holds: the bus it reports on, the object store its
    inputs and outputs live in, and the document versions it checks are still current
    before it writes or sends anything."""

    def __init__(
        self,
        *,
        bus: EventPublisher,
        store: ObjectStore,
        versions: CurrentVersions | None = None,
    ) -> None:
        self._bus = bus
        self._store = store
        self._versions = versions or EveryVersionCurrent()

    async def _stored(self, key: str) -> bytes | None:
        """The object stored under `key`, or None while there is none: the stage's own output
        of an earlier run of this job (before a crash or a redelivery), or an optional input."""
        if await asyncio.to_thread(self._store.stat, key) is None:
            return None
        return await asyncio.to_thread(self._store.get_bytes, key)

    async def _job_transcript(self, job: events_pb2.JobContext) -> library_pb2.Transcript:
        """The transcript revision this job works from."""
        data = await asyncio.to_thread(self._store.get_bytes, transcript_object_key(job))
        return parse_transcript(data)


@dataclass
class PipelineStage:
    """Runs the jobs of the stage service `name`: drops a superseded version's job, counts
    the others, retries with backoff and publishes `processing.failed` when it gives up."""

    name: str
    bus: EventBus
    settings: StageSettings
    counters: JobCounters
    versions: CurrentVersions = field(default_factory=EveryVersionCurrent)

    def start(
        self, inputs: Sequence[Consumer], handler: Callable[[ReceivedEvent], Awaitable[None]]
    ) -> None:
        async def counted(event: ReceivedEvent) -> None:
            # A job of a superseded version or a deleted document is acked undone.
            if not await self.versions.still_current(job_context(event), before="starting"):
                STAGE_JOBS.labels(self.name, "dropped").inc()
                return
            self.counters.in_progress += 1
            try:
                await handler(event)
            except Exception:
                STAGE_JOBS.labels(self.name, "error").inc()
                raise
            finally:
                self.counters.in_progress -= 1
            self.counters.completed += 1
            STAGE_JOBS.labels(self.name, "completed").inc()

        for source in inputs:
            spec = stage_consumer(source, self.settings)
            self.bus.start_consumer(
                spec, counted, retry=self.settings.retry, on_gave_up=self._gave_up
            )

    async def ensure_input_streams(self, inputs: Sequence[Consumer]) -> None:
        await self.bus.ensure_streams([producer_stream(i.producer) for i in inputs])

    async def _gave_up(self, event: ReceivedEvent, error: Exception, permanent: bool) -> None:
        self.counters.failed += 1
        STAGE_JOBS.labels(self.name, "failed").inc()
        job = job_context(event)
        reason = (
            str(error)
            if permanent or isinstance(error, PermanentError)
            else (f"{error} (gave up after {event.attempt} attempts)")
        )
        await self.bus.publish(
            processing_failed(self.name),
            events_pb2.ProcessingFailed(
                job=job,
                stage=stage_step(self.name).stage,
                reason=reason,
                permanent=permanent,
                attempts=event.attempt,
            ),
            event_id=event_id(job, f"{self.name}-failed"),
        )


# Builds a stage's event handler on the service's bus and the document versions it follows.
HandlerFactory = Callable[[EventBus, CurrentVersions], Callable[[ReceivedEvent], Awaitable[None]]]


@dataclass(frozen=True)
class StageApi:
    """A stage's own gRPC service: its descriptor, the servicer (whose job counters `GetInfo`
    reports and the runtime keeps) and the generated function that adds it to a server."""

    service: ServiceDescriptor
    servicer: CountersInfo[Any]
    add_to_server: Callable[[Any, grpc.aio.Server], None]

    def register(self, server: grpc.aio.Server) -> None:
        self.add_to_server(self.servicer, server)


async def start_stage_service(
    name: str, settings: StageSettings, api: StageApi, handler_for: HandlerFactory
) -> ServiceApp:
    """Serves the stage's own API, then consumes its inputs (the catalogue's, for the stage
    service `name`) with the handler built for the service's event bus and the document
    versions it follows (each stage's app.py only says what is particular to it)."""
    app, bus = await start_worker_service(
        name=name, settings=settings, service_name=api.service.full_name, register=api.register
    )
    versions = DocumentVersions()
    versions.follow(bus)
    # Closers run last to first: stop following before the connection closes.
    app.closers.append(versions.stop)
    counters = api.servicer.counters
    runtime = PipelineStage(name, bus, settings, counters, versions)
    inputs = stage_inputs(name)
    await runtime.ensure_input_streams(inputs)
    runtime.start(inputs, handler_for(bus, versions))
    app.parts["counters"] = counters
    return app
