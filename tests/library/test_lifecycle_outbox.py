"""The lifecycle's SQL adapters on a real SQLite file (no bus): state and commands commit in
one transaction, a failure keeps neither, and per-document locks do not pile up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from services.kernel.db import Database, sqlite_url_in, upgrade_schema
from services.kernel.jetstream import ReceivedEvent
from services.kernel.outbox import Outbox
from services.kernel.storage import LocalObjectStore, local_url_signer
from services.library.accounts import AccountEvents
from services.library.app import MIGRATIONS
from services.library.lifecycle.handlers import ReportKind, StageReport
from services.library.lifecycle.model import Outcome, Stage, Status
from services.library.lifecycle.service import Lifecycle
from services.library.lifecycle.sql import SqlUnitsOfWork, accept_upload, job_context
from services.library.store import OUTBOX, DocumentRow, JobRow
from speechflow.events.v1 import events_pb2
from tests.library.lifecycle_fakes import FakeSweeper

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Harness:
    def __init__(self, db: Database, writes: list[object]) -> None:
        self.db = db
        self.writes = writes
        self.outbox = Outbox(OUTBOX, source="library")
        self.fail_writes = False

        async def write_outputs(_session: object, _row: DocumentRow, outputs: object) -> None:
            if self.fail_writes:
                raise OSError("disk full")
            writes.append(outputs)

        self.units = SqlUnitsOfWork(db, self.outbox, write_outputs)
        self.lifecycle = Lifecycle(units=self.units, sweeper=FakeSweeper())

    async def upload(self, document_id: str) -> None:
        async with self.db.session() as session:
            row = DocumentRow(
                id=document_id,
                owner_id="owner",
                owner_email="o@example.com",
                title="Talk",
                original_file_name="talk.wav",
                content_type="audio/wav",
                media_kind="audio",
                size_bytes=1,
                original_key=f"uploads/audio/owner/{document_id}/original.wav",
                create_time=NOW,
                update_time=NOW,
                status=0,
            )
            session.add(row)
            await accept_upload(session, self.outbox, row, f"{document_id}-job")

    async def messages(self) -> list[tuple[str, str]]:
        async with self.db.session() as session:
            rows = (await session.execute(select(OUTBOX.c.subject, OUTBOX.c.event_id))).all()
        return [(subject, event_id) for subject, event_id in rows]

    async def document(self, document_id: str) -> DocumentRow:
        async with self.db.session() as session:
            row = await session.get(DocumentRow, document_id)
        assert row is not None
        return row


@pytest_asyncio.fixture
async def sql(tmp_path: Path) -> AsyncIterator[Harness]:
    url = sqlite_url_in(tmp_path, "library")
    await asyncio.to_thread(upgrade_schema, url, MIGRATIONS, "alembic_version_library")
    db = Database(url)
    try:
        yield Harness(db, [])
    finally:
        await db.dispose()


def transcribed(document_id: str, event_id: str = "e-1") -> StageReport:
    return StageReport(
        event_id=event_id,
        subject="speechflow.transcriber.v1.transcription.completed",
        kind=ReportKind.COMPLETED,
        document_id=document_id,
        owner_id="owner",
        version=1,
        stage=Stage.TRANSCRIPTION,
        outputs="transcript",
    )


@pytest.mark.asyncio
async def test_an_upload_commits_its_job_and_its_transcription_command(sql: Harness) -> None:
    await sql.upload("d1")
    subjects = [subject for subject, _ in await sql.messages()]
    assert subjects == [
        "speechflow.library.v1.document.uploaded",
        "speechflow.library.v1.transcription.requested",
        "speechflow.library.v1.document.changed",
    ]
    document = await sql.document("d1")
    assert (document.status, document.stage, document.progress) == (
        int(Status.PROCESSING),
        int(Stage.TRANSCRIPTION),
        10,
    )


@pytest.mark.asyncio
async def test_a_stage_result_commits_with_the_next_command(sql: Harness) -> None:
    await sql.upload("d1")
    assert await sql.lifecycle.apply(transcribed("d1")) is Outcome.APPLIED
    messages = await sql.messages()
    assert ("speechflow.library.v1.summary.requested", "d1-v1-summarization-requested") in messages
    document = await sql.document("d1")
    assert (document.stage, document.progress) == (int(Stage.SUMMARIZATION), 50)
    assert sql.writes == ["transcript"]
    async with sql.db.session() as session:
        job = await session.scalar(select(JobRow).where(JobRow.document_id == "d1"))
    assert job is not None
    assert [run["stage"] for run in job.runs] == [int(Stage.TRANSCRIPTION)]


@pytest.mark.asyncio
async def test_a_failure_while_applying_keeps_neither_state_nor_command(sql: Harness) -> None:
    await sql.upload("d1")
    before = await sql.messages()
    sql.fail_writes = True
    with pytest.raises(OSError, match="disk full"):
        await sql.lifecycle.apply(transcribed("d1"))
    assert await sql.messages() == before
    assert (await sql.document("d1")).stage == int(Stage.TRANSCRIPTION)
    sql.fail_writes = False
    assert await sql.lifecycle.apply(transcribed("d1")) is Outcome.APPLIED  # redelivered


@pytest.mark.asyncio
async def test_concurrent_reports_of_one_document_apply_one_at_a_time_and_leave_no_lock(
    sql: Harness,
) -> None:
    # Bug (c): the lock of a document left its dict while others still waited on it.
    await sql.upload("d1")
    progress = [
        StageReport(
            event_id=f"p-{n}",
            subject="speechflow.transcriber.v1.transcription.progressed",
            kind=ReportKind.PROGRESSED,
            document_id="d1",
            owner_id="owner",
            version=1,
            stage=Stage.TRANSCRIPTION,
            progress=11 + n,
        )
        for n in range(12)
    ]
    outcomes = await asyncio.gather(
        *(sql.lifecycle.apply(r) for r in progress), sql.lifecycle.apply(transcribed("d1"))
    )
    assert outcomes[-1] is Outcome.APPLIED
    summary_commands = [s for s, _ in await sql.messages() if s.endswith("summary.requested")]
    assert summary_commands == ["speechflow.library.v1.summary.requested"]
    assert (await sql.document("d1")).stage == int(Stage.SUMMARIZATION)
    assert sql.units.locks_held == 0


def test_job_context_names_the_versions_references() -> None:
    row = DocumentRow(
        id="d1",
        owner_id="o",
        owner_email="o@example.com",
        owner_name="",
        title="t",
        title_is_user_given=False,
        original_file_name="t.wav",
        content_type="audio/wav",
        duration_seconds=1.0,
        original_key="uploads/audio/o/d1/original.wav",
        language="",
        summary_length=2,
        create_time=NOW,
        hotwords="",
        min_speakers=0,
        max_speakers=0,
        transcript_revision=1,
        summary_language="",
        summary_instructions="",
        notify=True,
        version=3,
        status=int(Status.PROCESSING),
        stage=int(Stage.RENDERING),
        transcript_key="transcripts/o/d1/transcript.json",
    )
    job = JobRow(id="j", version=3)
    context: events_pb2.JobContext = job_context(row, job)
    assert context.transcript_key == "transcripts/o/d1/transcript.json"
    assert context.summary_key == "transcripts/o/d1/summary-v3.json"
    assert context.pdf_key == ""


@pytest.mark.asyncio
async def test_an_account_deletion_announces_each_document_deleted(
    sql: Harness, tmp_path: Path
) -> None:
    # Stages drop the late work of every document of a deleted account (and email nothing).
    for document_id in ("d1", "d2"):
        await sql.upload(document_id)
    store = LocalObjectStore(tmp_path / "objects", local_url_signer(b"s" * 32, "http://x"))
    accounts = AccountEvents(sql.db, store, sql.outbox)
    await accounts.handle(
        ReceivedEvent(
            subject="speechflow.auth.v1.user.deleted",
            data=events_pb2.UserDeleted(user_id="owner").SerializeToString(),
            headers={},
            attempt=1,
            event_id="user-deleted-1",
        )
    )
    deleted = [e for s, e in await sql.messages() if s == "speechflow.library.v1.document.deleted"]
    assert sorted(deleted) == ["d1-deleted", "d2-deleted"]
