"""Keeps documents and jobs current from the pipeline's events.

Each event is applied in one transaction together with a `processed_events` row, so a
redelivered event changes nothing; events of an older document version (before a
regenerate or retry) are ignored.

Every producer has its own stream and consumer, so a stage's completion may be consumed
before the previous stage's: outputs are kept whatever the order, the state only moves
forward, and the document completes once every stage it waits for has finished."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.db import Database
from services.kernel.jetstream import (
    ConsumerSpec,
    ReceivedEvent,
    RetryPolicy,
    TransientError,
    producer_stream,
)
from services.kernel.outbox import Outbox
from services.kernel.storage import ObjectStore
from services.library import events as ev
from services.library import search_index
from services.library.domain import (
    DONE_PROGRESS,
    STAGE_START_PROGRESS,
    STAGE_WORDS,
    JobStatus,
    Stage,
    Status,
)
from services.library.store import DocumentRow, JobRow, ProcessedEventRow
from services.library.summaries import apply_summary
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.pipeline")

Apply = Callable[[AsyncSession, DocumentRow, JobRow, Any, datetime], None]


def consumer_specs() -> list[ConsumerSpec]:
    """One durable consumer per producer stream, shared by all library replicas."""
    return [
        ConsumerSpec(
            stream=producer_stream(producer).name,
            durable=f"library-{producer}-events",
            subjects=[f"speechflow.{producer}.v1.>"],
            concurrency=4,
        )
        for producer in ev.PIPELINE_PRODUCERS
    ]


def _record_run(job: JobRow, stage: Stage, now: datetime, error: str = "") -> None:
    runs = list(job.runs or [])
    start = runs[-1]["end_time"] if runs else job.create_time.isoformat()
    runs.append(
        {
            "stage": int(stage),
            "attempt": job.attempts,
            "start_time": start,
            "end_time": now.isoformat(),
            "error_message": error,
        }
    )
    job.runs = runs


# Stages whose successful runs (in the job) complete a document; transcription counts
# through the stored transcript, since a regenerated version starts after it.
FINISHING_STAGES = {int(Stage.SUMMARIZATION), int(Stage.RENDERING), int(Stage.NOTIFICATION)}


def _advance(document: DocumentRow, job: JobRow, done: Stage, now: datetime) -> None:
    _record_run(job, done, now)
    if document.status != int(Status.PROCESSING):
        return  # a late event of a finished version: its outputs are kept, the state stays
    finished = {run["stage"] for run in job.runs if not run.get("error_message")}
    # A job that began after summarization (a re-render of an edited transcript, with the
    # summary it had) waits only for the stages from where it began; runs are in stage order.
    began = min(run["stage"] for run in job.runs)
    waits_for = {stage for stage in FINISHING_STAGES if stage >= began}
    if document.transcript_key and finished.issuperset(waits_for):
        document.status = int(Status.COMPLETED)
        document.progress = DONE_PROGRESS
        document.status_message = "Done"
        document.process_time = now
        job.status = int(JobStatus.SUCCEEDED)
        return
    nxt = Stage(min(max(document.stage, int(done) + 1), int(Stage.NOTIFICATION)))
    if int(nxt) > document.stage:
        document.progress = max(document.progress, STAGE_START_PROGRESS[nxt])
        document.stage = int(nxt)
        document.status_message = STAGE_WORDS[nxt]
        job.stage = int(nxt)


def apply_progress(
    _s: AsyncSession,
    document: DocumentRow,
    job: JobRow,
    event: events_pb2.ProgressReported,
    now: datetime,
) -> None:
    if document.status != int(Status.PROCESSING) or (event.stage and event.stage != document.stage):
        return  # progress of a stage that already finished
    # Progress only moves forward within a version.
    if event.progress > document.progress:
        document.progress = min(event.progress, 99)
    document.status_message = event.message or document.status_message


def apply_transcribed(
    _s: AsyncSession,
    document: DocumentRow,
    job: JobRow,
    event: events_pb2.TranscriptionCompleted,
    now: datetime,
) -> None:
    document.transcript_text = event.text
    document.transcript_key = event.transcript_key
    document.detected_language = event.detected_language
    if event.duration_seconds > 0:
        document.duration_seconds = event.duration_seconds
    document.speaker_count = event.speaker_count
    _advance(document, job, Stage.TRANSCRIPTION, now)


def apply_summarized(
    _s: AsyncSession,
    document: DocumentRow,
    job: JobRow,
    event: events_pb2.SummaryCompleted,
    now: datetime,
) -> None:
    apply_summary(document, event.summary)
    _advance(document, job, Stage.SUMMARIZATION, now)


def apply_rendered(
    _s: AsyncSession,
    document: DocumentRow,
    job: JobRow,
    event: events_pb2.DocumentRendered,
    now: datetime,
) -> None:
    document.pdf_key = event.pdf_key
    document.thumbnail_key = event.thumbnail_key
    _advance(document, job, Stage.RENDERING, now)


def apply_notified(
    _s: AsyncSession,
    document: DocumentRow,
    job: JobRow,
    event: events_pb2.NotificationSent,
    now: datetime,
) -> None:
    if event.completed:  # a failure email changes nothing
        _advance(document, job, Stage.NOTIFICATION, now)


def apply_failed(
    _s: AsyncSession,
    document: DocumentRow,
    job: JobRow,
    event: events_pb2.ProcessingFailed,
    now: datetime,
) -> None:
    if document.status != int(Status.PROCESSING):
        return
    stage = Stage(event.stage) if event.stage else Stage(document.stage or Stage.TRANSCRIPTION)
    _record_run(job, stage, now, event.reason)
    document.status = int(Status.FAILED)
    document.error_message = event.reason
    document.status_message = f"{STAGE_WORDS[stage]} failed"
    document.stage = int(stage)
    job.status = int(JobStatus.FAILED)
    job.stage = int(stage)
    job.attempts = max(job.attempts, event.attempts)
    job.error_message = event.reason


# The stage an event completes: it may only be applied once the document has reached that
# stage. Stages' streams are consumed independently, so `summary.completed` can arrive
# before `transcription.completed` is applied; it then waits (nak with a short delay), which
# keeps every milestone visible to watchers, in order.
COMPLETES = {
    ev.TRANSCRIPTION_COMPLETED: Stage.TRANSCRIPTION,
    ev.SUMMARY_COMPLETED: Stage.SUMMARIZATION,
    ev.DOCUMENT_RENDERED: Stage.RENDERING,
    ev.NOTIFICATION_SENT: Stage.NOTIFICATION,
}
# Out-of-order events are retried quickly and for long: giving up would drop the event.
ORDERING_RETRY = RetryPolicy(max_attempts=1000, base_delay_seconds=0.05, max_delay_seconds=1.0)


class EventOutOfOrder(TransientError):
    """An event arrived before the one completing the previous stage was applied."""


HANDLERS: dict[str, tuple[type[Any], Apply]] = {
    ev.TRANSCRIPTION_PROGRESSED: (events_pb2.ProgressReported, apply_progress),
    ev.TRANSCRIPTION_COMPLETED: (events_pb2.TranscriptionCompleted, apply_transcribed),
    ev.SUMMARY_PROGRESSED: (events_pb2.ProgressReported, apply_progress),
    ev.SUMMARY_COMPLETED: (events_pb2.SummaryCompleted, apply_summarized),
    ev.DOCUMENT_RENDERED: (events_pb2.DocumentRendered, apply_rendered),
    ev.NOTIFICATION_SENT: (events_pb2.NotificationSent, apply_notified),
    **{
        ev.processing_failed(p): (events_pb2.ProcessingFailed, apply_failed)
        for p in ev.PIPELINE_PRODUCERS
    },
}


class PipelineEvents:
    def __init__(self, db: Database, outbox: Outbox, store: ObjectStore) -> None:
        self._db = db
        self._outbox = outbox
        self._store = store
        # One event per document at a time in this process (SQLite ignores FOR UPDATE).
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, received: ReceivedEvent) -> None:
        handler = HANDLERS.get(received.subject)
        if handler is None:
            return  # another consumer's event (e.g. progress of a stage we do not track)
        message_type, apply = handler
        event = received.parse(message_type)
        # Read before the transaction, so no document stays locked during storage I/O.
        transcript = (
            await search_index.read_transcript(self._store, event.transcript_key)
            if received.subject == ev.TRANSCRIPTION_COMPLETED
            else None
        )
        lock = self._locks[event.job.document_id]
        try:
            async with lock:
                await self._apply(received, event, apply, transcript)
        finally:
            if not lock.locked():
                self._locks.pop(event.job.document_id, None)

    async def _apply(
        self,
        received: ReceivedEvent,
        event: Any,
        apply: Apply,
        transcript: library_pb2.Transcript | None,
    ) -> None:
        changed = False
        async with self._db.session() as session:
            if await session.get(ProcessedEventRow, received.event_id) is not None:
                return
            session.add(
                ProcessedEventRow(
                    event_id=received.event_id, subject=received.subject, time=datetime.now(UTC)
                )
            )
            document = await session.get(DocumentRow, event.job.document_id, with_for_update=True)
            # Read the clock only once the document is locked, so update_time follows the order
            # in which concurrent events commit (watchers drop states older than the last one).
            now = datetime.now(UTC)
            job = await session.get(JobRow, event.job.job_id)
            if document is None or job is None:
                log.info("event for a deleted document", extra={"subject": received.subject})
                return
            if event.job.version != document.version:
                return  # stale: a newer version (regenerate, retry) is running
            completes = COMPLETES.get(received.subject)
            if (
                completes is not None
                and document.status == int(Status.PROCESSING)
                and document.stage < int(completes)
            ):
                raise EventOutOfOrder(
                    f"{received.subject} for {document.id} before stage {completes.name} began"
                )
            apply(session, document, job, event, now)
            await search_index.apply_event(session, document, event, transcript)
            document.update_time = now
            job.update_time = now
            await self._outbox.add(session, ev.DOCUMENT_CHANGED, ev.document_changed(document))
            changed = True
        if changed:
            self._outbox.notify()
