"""What the library publishes and consumes (see docs/events.md)."""

from __future__ import annotations

from services.kernel.protos import timestamp
from services.library.domain import Stage
from services.library.store import DocumentRow, JobRow
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

DOCUMENT_UPLOADED = "speechflow.library.v1.document.uploaded"
DOCUMENT_CHANGED = "speechflow.library.v1.document.changed"
STAGE_REQUESTED = {
    Stage.TRANSCRIPTION: "speechflow.library.v1.transcription.requested",
    Stage.SUMMARIZATION: "speechflow.library.v1.summary.requested",
    Stage.RENDERING: "speechflow.library.v1.render.requested",
    Stage.NOTIFICATION: "speechflow.library.v1.notification.requested",
}

TRANSCRIPTION_PROGRESSED = "speechflow.transcriber.v1.transcription.progressed"
TRANSCRIPTION_COMPLETED = "speechflow.transcriber.v1.transcription.completed"
SUMMARY_PROGRESSED = "speechflow.summarizer.v1.summary.progressed"
SUMMARY_COMPLETED = "speechflow.summarizer.v1.summary.completed"
DOCUMENT_RENDERED = "speechflow.renderer.v1.document.rendered"
NOTIFICATION_SENT = "speechflow.notifier.v1.notification.sent"
PIPELINE_PRODUCERS = ("transcriber", "summarizer", "renderer", "notifier")


def processing_failed(producer: str) -> str:
    return f"speechflow.{producer}.v1.processing.failed"


def job_context(document: DocumentRow, job: JobRow) -> events_pb2.JobContext:
    return events_pb2.JobContext(
        job_id=job.id,
        document_id=document.id,
        owner_id=document.owner_id,
        owner_email=document.owner_email,
        owner_name=document.owner_name,
        version=document.version,
        # Only a title the user gave: otherwise the stages title the document from the
        # summary they write (the renderer and the notifier fall back to the file name).
        title=document.title if document.title_is_user_given else "",
        original_file_name=document.original_file_name,
        content_type=document.content_type,
        duration_seconds=document.duration_seconds,
        original_key=document.original_key,
        language=document.language,
        summary_length=library_pb2.SummaryLength.ValueType(document.summary_length),
        create_time=timestamp(document.create_time),
        hotwords=document.hotwords,
        min_speakers=document.min_speakers,
        max_speakers=document.max_speakers,
        transcript_revision=document.transcript_revision,
        summary_language=document.summary_language,
        summary_instructions=document.summary_instructions,
        notify=document.notify,
    )


def document_changed(document: DocumentRow) -> events_pb2.DocumentChanged:
    return events_pb2.DocumentChanged(
        document_id=document.id,
        owner_id=document.owner_id,
        status=library_pb2.DocumentStatus.ValueType(document.status),
        progress=document.progress,
        stage=library_pb2.Stage.ValueType(document.stage),
        message=document.error_message or document.status_message,
        update_time=timestamp(document.update_time),
        version=document.version,
    )
