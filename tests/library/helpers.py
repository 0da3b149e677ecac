"""Helpers for library tests: uploads and simulated pipeline events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from google.api import httpbody_pb2
from google.protobuf.message import Message
from sqlalchemy import select

from services.kernel import catalogue
from services.kernel.jetstream import EventBus
from services.library.store import OUTBOX, DocumentRow
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


# The library's commands to the stages (one subject per stage, see the catalogue).
COMMANDS = "speechflow.library.v1.*.requested"


async def current_version(lib: LibraryHarness, document_id: str) -> int:
    async with lib.app.parts["db"].session() as session:
        row = await session.get(DocumentRow, document_id)
    assert row is not None, f"no document {document_id}"
    return int(row.version)


async def job_of(
    lib: LibraryHarness, document_id: str, version: int | None = None
) -> events_pb2.JobContext:
    """The job context of the library's first command for the document's current version
    (or `version`): waits for that command, not for silence."""
    wanted = version or await current_version(lib, document_id)
    async with library_commands(lib.bus, document_id, wanted) as next_command:
        return (await next_command(None)).job


@dataclass(frozen=True)
class Command:
    subject: str
    job: events_pb2.JobContext


@asynccontextmanager
async def library_commands(
    bus: EventBus, document_id: str, version: int
) -> AsyncIterator[Callable[[str | None], Awaitable[Command]]]:
    """`next_command(subject)` waits for the library's next command (of that subject, or any)
    for one version of a document, replaying the stream from its start."""
    subscription = await bus.js.subscribe(COMMANDS, ordered_consumer=True)

    async def next_command(subject: str | None) -> Command:
        async with asyncio.timeout(COMMAND_WAIT_SECONDS):
            while True:
                message = await subscription.next_msg(timeout=COMMAND_WAIT_SECONDS)
                # Every command carries its JobContext as field 1.
                job = events_pb2.StageRequested.FromString(message.data).job
                if (
                    job.document_id == document_id
                    and job.version == version
                    and subject in (None, message.subject)
                ):
                    return Command(message.subject, job)

    try:
        yield next_command
    finally:
        await subscription.unsubscribe()


COMMAND_WAIT_SECONDS = 15


async def commands_so_far(lib: LibraryHarness, document_id: str) -> list[str]:
    """Subjects of every command the library committed for a document until now: those the
    outbox still holds, then those already relayed (read in that order, so a command moving
    from one to the other in between is seen once at least)."""
    async with lib.app.parts["db"].session() as session:
        queued = (await session.execute(select(OUTBOX.c.subject, OUTBOX.c.payload))).all()
    subjects = [
        subject
        for subject, payload in queued
        if subject.endswith(".requested")
        and events_pb2.StageRequested.FromString(payload).job.document_id == document_id
    ]
    subscription = await lib.bus.js.subscribe(COMMANDS, ordered_consumer=True)
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=COMMAND_WAIT_SECONDS)
            except TimeoutError:
                break  # an empty stream
            job = events_pb2.StageRequested.FromString(message.data).job
            if job.document_id == document_id:
                subjects.append(message.subject)
            if message.metadata.num_pending == 0:
                break  # the end of the stream as it is now
    finally:
        await subscription.unsubscribe()
    return subjects


TRANSCRIPTION_REQUESTED = catalogue.TRANSCRIPTION_REQUESTED
SUMMARY_REQUESTED = catalogue.SUMMARY_REQUESTED
RENDER_REQUESTED = catalogue.RENDER_REQUESTED
NOTIFICATION_REQUESTED = catalogue.NOTIFICATION_REQUESTED


def stage_results(
    job: events_pb2.JobContext, tag: str, summary: events_pb2.Summary | None, speaker_count: int
) -> list[tuple[str, list[tuple[str, Message, str]]]]:
    """For each command, what its stage publishes: (subject, event, event id)."""
    pdfs = f"pdfs/{job.owner_id}/{job.document_id}"
    return [
        (
            TRANSCRIPTION_REQUESTED,
            [
                (
                    catalogue.TRANSCRIPTION_PROGRESSED,
                    events_pb2.ProgressReported(
                        job=job, stage=library_pb2.STAGE_TRANSCRIPTION, progress=30
                    ),
                    f"{tag}-progress",
                ),
                (
                    catalogue.TRANSCRIPTION_COMPLETED,
                    events_pb2.TranscriptionCompleted(
                        job=job,
                        transcript_key=(
                            f"transcripts/{job.owner_id}/{job.document_id}/transcript.json"
                        ),
                        text="budget meeting about engineers",
                        detected_language="en",
                        model="tiny.en",
                        speaker_count=speaker_count,
                    ),
                    f"{tag}-transcribed",
                ),
            ],
        ),
        (
            SUMMARY_REQUESTED,
            [
                (
                    catalogue.SUMMARY_COMPLETED,
                    events_pb2.SummaryCompleted(
                        job=job,
                        summary=summary
                        or events_pb2.Summary(
                            summary="They decided to hire.", key_points=["Hire two engineers"]
                        ),
                    ),
                    f"{tag}-summarized",
                )
            ],
        ),
        (
            RENDER_REQUESTED,
            [
                (
                    catalogue.DOCUMENT_RENDERED,
                    events_pb2.DocumentRendered(
                        job=job,
                        # Other tests store a stand-in PDF under this name.
                        pdf_key=f"{pdfs}/document.pdf",
                        thumbnail_key=f"{pdfs}/thumbnail.png",
                        page_count=2,
                    ),
                    f"{tag}-rendered",
                )
            ],
        ),
        (
            NOTIFICATION_REQUESTED,
            [
                (
                    catalogue.NOTIFICATION_SENT,
                    events_pb2.NotificationSent(job=job, completed=True, message_id="m1"),
                    f"{tag}-notified",
                )
            ],
        ),
    ]


async def complete_pipeline(
    bus: EventBus,
    job: events_pb2.JobContext,
    *,
    tag: str,
    summary: events_pb2.Summary | None = None,
    speaker_count: int = 0,
) -> None:
    """Plays the stages for `job`'s version as the mesh runs them: each answers the library's
    command, which the library sends once the previous result is applied (`summary`: what the
    summarizer wrote). A version that began later (a regenerate, a retry) starts where its
    first command does; one without email ends once rendered."""
    steps = stage_results(job, tag, summary, speaker_count)
    async with library_commands(bus, job.document_id, job.version) as next_command:
        first = await next_command(None)
        start = [command for command, _ in steps].index(first.subject)
        for n, (command, results) in enumerate(steps[start:]):
            if n > 0:
                if command == NOTIFICATION_REQUESTED and not job.notify:
                    return
                await next_command(command)
            for subject, event, event_id in results:
                await bus.publish(subject, event, event_id=event_id)


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
