"""Rows -> API messages."""

from __future__ import annotations

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from services.kernel.protos import timestamp
from services.library.store import DocumentRow, FolderRow, JobRow
from services.library.summaries import summary_from_json
from speechflow.library.v1 import library_pb2


def folder_message(row: FolderRow, document_count: int = 0) -> library_pb2.Folder:
    return library_pb2.Folder(
        id=row.id,
        name=row.name,
        document_count=document_count,
        create_time=timestamp(row.create_time),
        update_time=timestamp(row.update_time),
    )


def document_message(row: DocumentRow) -> library_pb2.Document:
    duration = Duration()
    duration.FromNanoseconds(int(row.duration_seconds * 1e9))
    message = library_pb2.Document(
        id=row.id,
        folder_id=row.folder_id or "",
        title=row.title,
        original_file_name=row.original_file_name,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        duration=duration,
        status=library_pb2.DocumentStatus.ValueType(row.status),
        progress=row.progress,
        stage=library_pb2.Stage.ValueType(row.stage),
        error_message=row.error_message,
        language=row.language,
        summary_length=library_pb2.SummaryLength.ValueType(row.summary_length),
        transcript_text=row.transcript_text,
        summary_text=row.summary_text,
        key_points=list(row.key_points or []),
        action_items=list(row.action_items or []),
        create_time=timestamp(row.create_time),
        update_time=timestamp(row.update_time),
        detected_language=row.detected_language,
        has_pdf=bool(row.pdf_key),
        has_thumbnail=bool(row.thumbnail_key),
        summary_language=row.summary_language,
        summary=summary_from_json(row.summary),
        summary_template_id=row.summary_template_id,
        speaker_count=row.speaker_count,
        version=row.version,
        notification_state=library_pb2.NotificationState.ValueType(row.notification_state),
    )
    if row.process_time is not None:
        message.process_time.CopyFrom(timestamp(row.process_time))
    return message


def job_message(row: JobRow, document: DocumentRow | None = None) -> library_pb2.Job:
    runs = [
        library_pb2.StageRun(
            stage=library_pb2.Stage.ValueType(run["stage"]),
            attempt=int(run.get("attempt", 1)),
            start_time=_parse_time(run.get("start_time")),
            end_time=_parse_time(run.get("end_time")),
            error_message=str(run.get("error_message", "")),
        )
        for run in row.runs or []
    ]
    return library_pb2.Job(
        id=row.id,
        document_id=row.document_id,
        owner_id=row.owner_id,
        status=library_pb2.JobStatus.ValueType(row.status),
        stage=library_pb2.Stage.ValueType(row.stage),
        attempts=row.attempts,
        error_message=row.error_message,
        runs=runs,
        create_time=timestamp(row.create_time),
        update_time=timestamp(row.update_time),
        document_title=document.title if document is not None else "",
        owner_email=document.owner_email if document is not None else "",
    )


def _parse_time(value: object) -> Timestamp | None:
    if not value:
        return None
    stamp = Timestamp()
    stamp.FromJsonString(str(value))
    return stamp
