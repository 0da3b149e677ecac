"""The stages' reports, as the library consumes them: each event becomes a `StageReport`
for the lifecycle (services/library/lifecycle), applied once in one transaction with the
next stage's command.

The library orchestrates: a stage runs only when the library commanded it, after the previous
stage's result was committed, so reports of one version arrive in stage order and are never
re-ordered here. A report of a superseded version, or of a deleted document, changes nothing
but has what its stage wrote swept from storage."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from services.kernel import catalogue
from services.kernel.jetstream import ConsumerSpec, ReceivedEvent
from services.kernel.stage import summary_object_key
from services.kernel.storage import ObjectStore
from services.library import events as ev
from services.library import search_index
from services.library.lifecycle.handlers import ReportKind, StageReport
from services.library.lifecycle.model import Stage
from services.library.lifecycle.outputs import StageOutputs
from services.library.lifecycle.service import Lifecycle
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.library.pipeline")

# The stage each producer runs.
PRODUCER_STAGE = {step.service: Stage(step.stage) for step in catalogue.STAGES}


def consumer_specs() -> list[ConsumerSpec]:
    """One durable consumer per producer stream, shared by all library replicas."""
    return [consumer.spec() for consumer in catalogue.LIBRARY_STAGE_CONSUMERS]


def _completion(received: ReceivedEvent) -> tuple[Any, tuple[str, ...]] | None:
    """The completion event of a stage and the keys it names, or None for another subject."""
    if received.subject == ev.TRANSCRIPTION_COMPLETED:
        transcribed = received.parse(events_pb2.TranscriptionCompleted)
        return transcribed, ()  # keyed by revision, shared with newer versions: never swept
    if received.subject == ev.SUMMARY_COMPLETED:
        summarized = received.parse(events_pb2.SummaryCompleted)
        key = summarized.summary_key or summary_object_key(summarized.job)
        return summarized, (key,)
    if received.subject == ev.DOCUMENT_RENDERED:
        rendered = received.parse(events_pb2.DocumentRendered)
        return rendered, (rendered.pdf_key, rendered.thumbnail_key)
    return None


def stage_report(received: ReceivedEvent) -> StageReport | None:
    """The lifecycle's view of a stage event (None: not one the library acts on)."""
    producer = received.subject.split(".")[1]
    stage = PRODUCER_STAGE.get(producer)
    if stage is None:
        return None
    common: dict[str, Any] = {"event_id": received.event_id, "subject": received.subject}
    if received.subject in (ev.TRANSCRIPTION_PROGRESSED, ev.SUMMARY_PROGRESSED):
        progress = received.parse(events_pb2.ProgressReported)
        return StageReport(
            **common,
            kind=ReportKind.PROGRESSED,
            **_about(progress.job),
            stage=Stage(progress.stage) if progress.stage else stage,
            progress=progress.progress,
            message=progress.message,
        )
    if received.subject == ev.processing_failed(producer):
        failed = received.parse(events_pb2.ProcessingFailed)
        return StageReport(
            **common,
            kind=ReportKind.FAILED,
            **_about(failed.job),
            stage=stage,
            reason=failed.reason,
            attempts=failed.attempts,
        )
    if received.subject == ev.NOTIFICATION_SENT:
        sent = received.parse(events_pb2.NotificationSent)
        return StageReport(**common, kind=ReportKind.NOTIFIED, **_about(sent.job), stage=stage)
    completion = _completion(received)
    if completion is None:
        return None
    event, keys = completion
    return StageReport(
        **common,
        kind=ReportKind.COMPLETED,
        **_about(event.job),
        stage=stage,
        keys=tuple(key for key in keys if key),
        outputs=StageOutputs(event),
    )


def _about(job: events_pb2.JobContext) -> dict[str, Any]:
    return {"document_id": job.document_id, "owner_id": job.owner_id, "version": job.version}


class PipelineEvents:
    def __init__(self, lifecycle: Lifecycle, store: ObjectStore) -> None:
        self._lifecycle = lifecycle
        self._store = store

    async def handle(self, received: ReceivedEvent) -> None:
        report = stage_report(received)
        if report is None:
            return  # another consumer's event (e.g. progress of a stage we do not track)
        outputs = report.outputs
        if isinstance(outputs, StageOutputs) and isinstance(
            outputs.event, events_pb2.TranscriptionCompleted
        ):
            transcript = await search_index.read_transcript(
                self._store, outputs.event.transcript_key
            )
            report = replace(report, outputs=StageOutputs(outputs.event, transcript))
        await self._lifecycle.apply(report)
