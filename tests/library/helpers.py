"""Helpers for library tests: uploads and simulated pipeline events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from google.api import httpbody_pb2

from services.kernel.jetstream import EventBus
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.library.conftest import LibraryHarness, User

CHUNK = 32 * 1024


async def upload_messages(
    metadata: library_pb2.UploadMetadata, data: bytes
) -> AsyncIterator[library_pb2.UploadDocumentRequest]:
    yield library_pb2.UploadDocumentRequest(metadata=metadata)
    for start in range(0, len(data), CHUNK):
        yield library_pb2.UploadDocumentRequest(chunk=data[start : start + CHUNK])


async def upload(
    lib: LibraryHarness,
    user: User,
    path: Path,
    *,
    file_name: str | None = None,
    size_bytes: int | None = None,
    **fields: object,
) -> library_pb2.Document:
    data = path.read_bytes()
    metadata = library_pb2.UploadMetadata(
        file_name=file_name if file_name is not None else path.name,
        size_bytes=len(data) if size_bytes is None else size_bytes,
        **fields,  # type: ignore[arg-type]
    )
    response = await lib.library.UploadDocument(
        upload_messages(metadata, data), metadata=user.metadata
    )
    return response.document


async def job_of(lib: LibraryHarness, document_id: str) -> events_pb2.JobContext:
    """The job context the library published for the document's latest version."""
    subscription = await lib.bus.js.subscribe("speechflow.library.v1.>", ordered_consumer=True)
    found: events_pb2.JobContext | None = None
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=2)
            except TimeoutError:
                break
            if message.subject == "speechflow.library.v1.document.changed":
                continue
            if message.subject == "speechflow.library.v1.document.uploaded":
                job = events_pb2.DocumentUploaded.FromString(message.data).job
            else:
                job = events_pb2.StageRequested.FromString(message.data).job
            if job.document_id == document_id and (found is None or job.version >= found.version):
                found = job
    finally:
        await subscription.unsubscribe()
    assert found is not None, f"no pipeline event for {document_id}"
    return found


async def complete_pipeline(
    bus: EventBus,
    job: events_pb2.JobContext,
    *,
    tag: str,
    summary: events_pb2.Summary | None = None,
    speaker_count: int = 0,
) -> None:
    """Publishes what the four stages would, in order (`summary`: what the summarizer wrote)."""
    await bus.publish(
        "speechflow.transcriber.v1.transcription.progressed",
        events_pb2.ProgressReported(job=job, stage=library_pb2.STAGE_TRANSCRIPTION, progress=30),
        event_id=f"{tag}-progress",
    )
    await bus.publish(
        "speechflow.transcriber.v1.transcription.completed",
        events_pb2.TranscriptionCompleted(
            job=job,
            transcript_key=f"transcripts/{job.owner_id}/{job.document_id}/transcript.json",
            text="budget meeting about engineers",
            detected_language="en",
            model="tiny.en",
            speaker_count=speaker_count,
        ),
        event_id=f"{tag}-transcribed",
    )
    await bus.publish(
        "speechflow.summarizer.v1.summary.completed",
        events_pb2.SummaryCompleted(
            job=job,
            summary=summary
            or events_pb2.Summary(
                summary="They decided to hire.", key_points=["Hire two engineers"]
            ),
        ),
        event_id=f"{tag}-summarized",
    )
    await bus.publish(
        "speechflow.renderer.v1.document.rendered",
        events_pb2.DocumentRendered(
            job=job,
            pdf_key=f"pdfs/{job.owner_id}/{job.document_id}/document.pdf",
            thumbnail_key=f"pdfs/{job.owner_id}/{job.document_id}/thumbnail.png",
            page_count=2,
        ),
        event_id=f"{tag}-rendered",
    )
    await bus.publish(
        "speechflow.notifier.v1.notification.sent",
        events_pb2.NotificationSent(job=job, completed=True, message_id="m1"),
        event_id=f"{tag}-notified",
    )


async def start_resumable(
    lib: LibraryHarness, user: User, data: bytes, file_name: str = "talk.wav"
) -> str:
    """Opens a resumable session for `data` and sends every byte; returns the upload id."""
    started = await lib.library.StartUpload(
        library_pb2.StartUploadRequest(
            metadata=library_pb2.UploadMetadata(file_name=file_name, size_bytes=len(data))
        ),
        metadata=user.metadata,
    )
    step = started.max_chunk_bytes
    for offset in range(0, len(data), step):
        await lib.library.UploadChunk(
            library_pb2.UploadChunkRequest(
                upload_id=started.upload_id, offset=offset, data=data[offset : offset + step]
            ),
            metadata=user.metadata,
        )
    return started.upload_id


async def upload_resumable(
    lib: LibraryHarness, user: User, path: Path, file_name: str | None = None
) -> library_pb2.Document:
    upload_id = await start_resumable(lib, user, path.read_bytes(), file_name or path.name)
    finished = await lib.library.FinishUpload(
        library_pb2.FinishUploadRequest(upload_id=upload_id), metadata=user.metadata
    )
    return finished.document


async def upload_raw_body(
    lib: LibraryHarness, user: User, path: Path, file_name: str | None = None
) -> library_pb2.Document:
    """UploadDocumentContent, the RPC behind REST's raw-body upload (size not declared)."""
    data = path.read_bytes()

    async def messages() -> AsyncIterator[library_pb2.UploadDocumentContentRequest]:
        for start in range(0, len(data), CHUNK):
            yield library_pb2.UploadDocumentContentRequest(
                file_name=(file_name or path.name) if start == 0 else "",
                body=httpbody_pb2.HttpBody(data=data[start : start + CHUNK]),
            )

    response = await lib.library.UploadDocumentContent(messages(), metadata=user.metadata)
    return response.document
