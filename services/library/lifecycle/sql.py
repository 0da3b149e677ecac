"""The lifecycle's SQL adapters: the document repository over `DocumentRow`/`JobRow`, and a
unit of work that commits the state and the outbox commands in one transaction.

Per-document serialization: PostgreSQL holds the row (`SELECT … FOR UPDATE`) across replicas;
SQLite ignores FOR UPDATE and is used by one process, where a `KeyedLocks` entry (kept only
while someone holds or waits for it) keeps two writers of a document apart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.db import Database
from services.kernel.outbox import Outbox
from services.kernel.stage import summary_object_key
from services.library import events as ev
from services.library import search_index
from services.library.keyed_locks import KeyedLocks
from services.library.lifecycle.model import (
    Document,
    DomainEvent,
    Job,
    JobStatus,
    NotificationCommanded,
    NotificationState,
    Stage,
    StageCommanded,
    StageRun,
    Status,
)
from services.library.lifecycle.ports import VersionSettings
from services.library.store import DocumentRow, JobRow, ProcessedEventRow, new_id
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

OutputsWriter = Callable[[AsyncSession, DocumentRow, object], Awaitable[None]]


async def _no_outputs(_session: AsyncSession, _row: DocumentRow, _outputs: object) -> None:
    return None


# Mapping rows <-> the lifecycle model -----------------------------------------------------


def job_from_row(row: JobRow) -> Job:
    return Job(
        id=row.id,
        version=row.version,
        status=JobStatus(row.status),
        stage=Stage(row.stage),
        create_time=row.create_time,
        update_time=row.update_time,
        attempts=row.attempts,
        error_message=row.error_message,
        runs=[_run_from_json(run, row.create_time) for run in row.runs or []],
    )


def _run_from_json(run: dict[str, Any], default: datetime) -> StageRun:
    def moment(name: str) -> datetime:
        value = run.get(name)
        return datetime.fromisoformat(value) if value else default

    return StageRun(
        stage=Stage(int(run["stage"])),
        attempt=int(run.get("attempt", 1)),
        start_time=moment("start_time"),
        end_time=moment("end_time"),
        error_message=str(run.get("error_message", "")),
    )


def document_from_rows(row: DocumentRow, job: Job) -> Document:
    return Document(
        id=row.id,
        owner_id=row.owner_id,
        version=row.version,
        status=Status(row.status),
        stage=Stage(row.stage) if row.stage else Stage.TRANSCRIPTION,
        progress=row.progress,
        status_message=row.status_message,
        error_message=row.error_message,
        notify=row.notify,
        notification_state=NotificationState(row.notification_state or 0),
        has_transcript=bool(row.transcript_key),
        update_time=row.update_time,
        process_time=row.process_time,
        job=job,
    )


def _write_progress(state: Document | Job, row: DocumentRow | JobRow) -> None:
    """What a document and its job both record: the version, its status and stage, the last
    error and when it last changed."""
    row.version = state.version
    row.status = int(state.status)
    row.stage = int(state.stage)
    row.error_message = state.error_message
    row.update_time = state.update_time


def write_document(document: Document, row: DocumentRow) -> None:
    _write_progress(document, row)
    row.progress = document.progress
    row.status_message = document.status_message
    row.notify = document.notify
    row.notification_state = int(document.notification_state)
    row.process_time = document.process_time


def write_job(job: Job, row: JobRow) -> None:
    _write_progress(job, row)
    row.attempts = job.attempts
    row.runs = [
        {
            "stage": int(run.stage),
            "attempt": run.attempt,
            "start_time": run.start_time.isoformat(),
            "end_time": run.end_time.isoformat(),
            "error_message": run.error_message,
        }
        for run in job.runs
    ]


def new_job_row(job: Job, document: Document) -> JobRow:
    """The one place a job row is made (for an upload's first version and every restart)."""
    row = JobRow(
        id=job.id,
        document_id=document.id,
        owner_id=document.owner_id,
        create_time=job.create_time,
    )
    write_job(job, row)
    return row


# Domain events -> outbox messages -----------------------------------------------------------


def job_context(row: DocumentRow, job: JobRow) -> events_pb2.JobContext:
    """The references a stage needs, as far as they are known for this version."""
    context = ev.job_context(row, job)
    context.transcript_key = row.transcript_key
    if row.stage >= int(Stage.RENDERING) or row.status == int(Status.COMPLETED):
        # The summarizer (or an edit's re-render) stored this version's summary there.
        context.summary_key = summary_object_key(context)
    if row.status == int(Status.COMPLETED):
        context.pdf_key = row.pdf_key
        context.thumbnail_key = row.thumbnail_key
    return context


async def publish(
    session: AsyncSession,
    outbox: Outbox,
    row: DocumentRow,
    job: JobRow,
    events: list[DomainEvent],
) -> None:
    """The document's new state and the commands it raised, in the caller's transaction;
    command ids are deterministic per version, so a duplicate is dropped by JetStream."""
    for event in events:
        if isinstance(event, StageCommanded):
            await outbox.add(
                session,
                ev.STAGE_REQUESTED[event.stage],
                events_pb2.StageRequested(job=job_context(row, job)),
                event_id=f"{row.id}-v{row.version}-{event.stage.name.lower()}-requested",
            )
        elif isinstance(event, NotificationCommanded):
            await outbox.add(
                session,
                ev.NOTIFICATION_REQUESTED,
                events_pb2.NotificationRequested(
                    job=job_context(row, job),
                    completed=event.completed,
                    reason=event.reason,
                    failed_stage=library_pb2.Stage.ValueType(int(event.failed_stage or 0)),
                ),
                event_id=f"{row.id}-v{row.version}-notification-requested",
            )
    await outbox.add(session, ev.DOCUMENT_CHANGED, ev.document_changed(row))


def deleted_message(row: DocumentRow) -> dict[str, Any]:
    """`document.deleted` of a document (account deletion queues one per document too)."""
    return {
        "subject": ev.DOCUMENT_DELETED,
        "message": events_pb2.DocumentDeleted(document_id=row.id, owner_id=row.owner_id),
        "event_id": f"{row.id}-deleted",
    }


async def accept_upload(
    session: AsyncSession, outbox: Outbox, row: DocumentRow, job_id: str
) -> None:
    """An upload's first version, in the caller's transaction: the lifecycle's fields of
    `row`, its job, the `document.uploaded` fact and the transcription command."""
    document = Document.accepted(row.id, row.owner_id, job_id, row.create_time)
    write_document(document, row)
    job = new_job_row(document.job, document)
    session.add(job)
    await session.flush()
    await outbox.add(
        session, ev.DOCUMENT_UPLOADED, events_pb2.DocumentUploaded(job=ev.job_context(row, job))
    )
    await publish(session, outbox, row, job, document.events)


# Repository and unit of work --------------------------------------------------------------


@dataclass
class _Tracked:
    row: DocumentRow
    job_row: JobRow | None
    document: Document


@dataclass
class SqlDocuments:
    session: AsyncSession
    write_outputs: OutputsWriter = _no_outputs
    tracked: dict[str, _Tracked] = field(default_factory=dict)
    jobs: dict[str, JobRow] = field(default_factory=dict)
    removed: list[DocumentRow] = field(default_factory=list)

    async def get(self, document_id: str) -> Document | None:
        if document_id in self.tracked:
            return self.tracked[document_id].document
        row = await self.session.get(DocumentRow, document_id, with_for_update=True)
        if row is None:
            return None
        job_row = await self.session.scalar(
            select(JobRow)
            .where(JobRow.document_id == row.id, JobRow.version == row.version)
            .order_by(JobRow.create_time.desc())
            .limit(1)
        )
        job = job_from_row(job_row) if job_row is not None else _missing_job(row)
        if job_row is not None:
            self.jobs[job_row.id] = job_row
        document = document_from_rows(row, job)
        self.tracked[document_id] = _Tracked(row, job_row, document)
        return document

    async def get_job(self, job_id: str) -> Job | None:
        for tracked in self.tracked.values():
            if tracked.document.job.id == job_id:
                return tracked.document.job
        row = self.jobs.get(job_id) or await self.session.get(JobRow, job_id)
        if row is None:
            return None
        self.jobs[row.id] = row
        return job_from_row(row)

    def row(self, document_id: str) -> DocumentRow:
        """The row of a document this unit of work holds (for its data, not its state)."""
        return self.tracked[document_id].row

    def change_settings(self, document: Document, settings: VersionSettings) -> None:
        row = self.row(document.id)
        if settings.summary_length is not None:
            row.summary_length = settings.summary_length
        if settings.summary_language is not None:
            row.summary_language = settings.summary_language
        if settings.summary_template_id is not None:
            row.summary_template_id = settings.summary_template_id
        if settings.summary_instructions is not None:
            row.summary_instructions = settings.summary_instructions

    async def record_outputs(self, document: Document, outputs: object) -> None:
        await self.write_outputs(self.session, self.row(document.id), outputs)

    def keys_in_use(self, document: Document) -> frozenset[str]:
        row = self.row(document.id)
        return frozenset(key for key in (row.transcript_key, row.pdf_key, row.thumbnail_key) if key)

    async def remove(self, document: Document) -> None:
        row = self.tracked.pop(document.id).row
        await search_index.forget(self.session, [row.id])
        await self.session.delete(row)
        self.removed.append(row)

    async def flush_changes(self, outbox: Outbox) -> bool:
        """Writes every changed document back to its rows and queues its messages."""
        changed = bool(self.removed)
        for row in self.removed:
            await outbox.add(session=self.session, **deleted_message(row))
        self.removed.clear()
        for tracked in self.tracked.values():
            document = tracked.document
            if not document.changed:
                continue
            changed = True
            write_document(document, tracked.row)
            job = document.job
            job_row = self.jobs.get(job.id)
            if job_row is None:
                job_row = new_job_row(job, document)
                self.session.add(job_row)
                self.jobs[job.id] = job_row
            else:
                write_job(job, job_row)
            await self.session.flush()
            await publish(self.session, outbox, tracked.row, job_row, document.events)
            document.events.clear()
            document.changed = False
        return changed


def _missing_job(row: DocumentRow) -> Job:
    """A document whose job row is gone (removed by hand): a new job takes over."""
    return Job(
        id=new_id(),
        version=row.version,
        status=JobStatus.RUNNING,
        stage=Stage(row.stage) if row.stage else Stage.TRANSCRIPTION,
        create_time=row.update_time,
        update_time=row.update_time,
        is_new=True,
    )


@dataclass(eq=False)
class SqlUnitOfWork:
    units: SqlUnitsOfWork
    # The process-local lock on the document, where the database has no row locks.
    hold: AbstractAsyncContextManager[None] | None
    session: AsyncSession = field(init=False, repr=False)
    documents: SqlDocuments = field(init=False, repr=False)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, init=False, repr=False)

    async def __aenter__(self) -> SqlUnitOfWork:
        if self.hold is not None:
            await self._stack.enter_async_context(self.hold)
        self.session = await self._stack.enter_async_context(self.units.db.session())
        self.documents = SqlDocuments(self.session, self.units.write_outputs)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        outbox = self.units.outbox
        changed = False
        try:
            if exc is None:
                changed = await self.documents.flush_changes(outbox)
        except BaseException as error:
            await self._stack.__aexit__(type(error), error, error.__traceback__)
            raise
        await self._stack.__aexit__(exc_type, exc, tb)  # commits, or rolls back on error
        if changed and exc is None:
            outbox.notify()

    async def first_time(self, event_id: str, subject: str) -> bool:
        if await self.session.get(ProcessedEventRow, event_id) is not None:
            return False
        self.session.add(ProcessedEventRow(event_id=event_id, subject=subject, time=_now()))
        return True


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class SqlUnitsOfWork:
    """Makes the units of work of one database (the `UnitOfWorkFactory` of the service)."""

    db: Database
    outbox: Outbox
    write_outputs: OutputsWriter = _no_outputs
    _locks: KeyedLocks | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Only where the database has no row locks (see the module's docstring).
        self._locks = KeyedLocks() if self.db.url.get_backend_name() == "sqlite" else None

    def __call__(self, document_id: str) -> SqlUnitOfWork:
        hold = self._locks.hold(document_id) if self._locks is not None else None
        return SqlUnitOfWork(self, hold)

    @property
    def locks_held(self) -> int:
        return len(self._locks) if self._locks is not None else 0
