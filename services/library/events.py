"""What the library publishes and consumes (declared in services/kernel/catalogue.py)."""

from __future__ import annotations

from services.kernel import catalogue
from services.kernel.protos import timestamp
from services.library.lifecycle.model import Stage
from services.library.store import DocumentRow, JobRow
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

# Subjects come from the pipeline catalogue; these names are the library's view of them.
DOCUMENT_UPLOADED = catalogue.DOCUMENT_UPLOADED
DOCUMENT_CHANGED = catalogue.DOCUMENT_CHANGED
DOCUMENT_DELETED = catalogue.DOCUMENT_DELETED
STAGE_REQUESTED = {
    Stage(step.stage): step.command for step in catalogue.STAGES if step.stage < Stage.NOTIFICATION
}
NOTIFICATION_REQUESTED = catalogue.NOTIFICATION_REQUESTED

TRANSCRIPTION_PROGRESSED = catalogue.TRANSCRIPTION_PROGRESSED
TRANSCRIPTION_COMPLETED = catalogue.TRANSCRIPTION_COMPLETED
SUMMARY_PROGRESSED = catalogue.SUMMARY_PROGRESSED
SUMMARY_COMPLETED = catalogue.SUMMARY_COMPLETED
DOCUMENT_RENDERED = catalogue.DOCUMENT_RENDERED
NOTIFICATION_SENT = catalogue.NOTIFICATION_SENT
PIPELINE_PRODUCERS = catalogue.STAGE_SERVICES
processing_failed = catalogue.processing_failed


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
