"""The lifecycle's command handlers over in-memory fakes of its ports: regenerate, retry and
the stages' reports (duplicates, out-of-order, stale versions, deleted documents)."""

from __future__ import annotations

import pytest

from services.library.lifecycle.errors import (
    DocumentNotFound,
    JobNotFailed,
    JobNotFound,
    NoTranscript,
)
from services.library.lifecycle.handlers import (
    ReportKind,
    StageReport,
    StartVersion,
    owned_by_version,
)
from services.library.lifecycle.model import (
    NotificationCommanded,
    NotificationState,
    Outcome,
    Stage,
    StageCommanded,
    Status,
)
from services.library.lifecycle.ports import VersionSettings
from tests.library.lifecycle_fakes import FakeLifecycle, fake_lifecycle

OWNER = "owner-1"


def report(
    kind: ReportKind,
    stage: Stage,
    *,
    version: int = 1,
    document_id: str = "doc-1",
    event_id: str | None = None,
    keys: tuple[str, ...] = (),
    reason: str = "",
) -> StageReport:
    return StageReport(
        event_id=event_id or f"{document_id}-v{version}-{stage.name}-{kind.value}",
        subject=f"test.{stage.name}.{kind.value}",
        kind=kind,
        document_id=document_id,
        owner_id=OWNER,
        version=version,
        stage=stage,
        reason=reason,
        attempts=1,
        keys=keys,
        outputs=f"{stage.name} output v{version}",
    )


def done(stage: Stage, **fields: object) -> StageReport:
    return report(ReportKind.COMPLETED, stage, **fields)  # type: ignore[arg-type]


async def finish(f: FakeLifecycle, version: int = 1, first: Stage = Stage.TRANSCRIPTION) -> None:
    for stage in (Stage.TRANSCRIPTION, Stage.SUMMARIZATION, Stage.RENDERING):
        if stage >= first:
            assert await f.lifecycle.apply(done(stage, version=version)) is Outcome.APPLIED


@pytest.mark.asyncio
async def test_the_library_commands_each_stage_once_the_previous_one_is_applied() -> None:
    f = fake_lifecycle()
    f.upload()
    await finish(f)
    assert f.db.commands("doc-1") == [
        StageCommanded(Stage.TRANSCRIPTION),
        StageCommanded(Stage.SUMMARIZATION),
        StageCommanded(Stage.RENDERING),
        NotificationCommanded(completed=True),
    ]
    document = f.db.documents["doc-1"]
    assert (document.status, document.notification_state) == (
        Status.COMPLETED,
        NotificationState.PENDING,
    )
    assert f.db.outputs["doc-1"] == [
        "TRANSCRIPTION output v1",
        "SUMMARIZATION output v1",
        "RENDERING output v1",
    ]


@pytest.mark.asyncio
async def test_a_redelivered_report_changes_nothing() -> None:
    f = fake_lifecycle()
    f.upload()
    first = done(Stage.TRANSCRIPTION)
    assert await f.lifecycle.apply(first) is Outcome.APPLIED
    changes, commands = list(f.db.changes), list(f.db.outbox)
    assert await f.lifecycle.apply(first) is Outcome.IGNORED
    assert (f.db.changes, f.db.outbox) == (changes, commands)


@pytest.mark.asyncio
async def test_a_completion_the_library_did_not_ask_for_is_ignored_not_retried() -> None:
    # Out of order: a render result while the version is still transcribing (only a
    # misbehaving stage can send it; there is no re-ordering loop any more).
    f = fake_lifecycle()
    f.upload()
    assert await f.lifecycle.apply(done(Stage.RENDERING)) is Outcome.IGNORED
    document = f.db.documents["doc-1"]
    assert (document.status, document.stage) == (Status.PROCESSING, Stage.TRANSCRIPTION)
    assert "doc-1" not in f.db.outputs


@pytest.mark.asyncio
async def test_a_superseded_versions_late_render_is_dropped_and_its_files_swept() -> None:
    # Bug (a): v2's late PDF never replaces v3's; what v2 wrote is removed.
    f = fake_lifecycle()
    f.upload()
    await finish(f)
    await f.lifecycle.start_version(StartVersion("doc-1", Stage.SUMMARIZATION))  # v2
    await f.lifecycle.apply(done(Stage.SUMMARIZATION, version=2))
    await f.lifecycle.start_version(StartVersion("doc-1", Stage.SUMMARIZATION))  # v3
    await finish(f, version=3, first=Stage.SUMMARIZATION)
    late = done(
        Stage.RENDERING,
        version=2,
        keys=("pdfs/o/doc-1/document-v2.pdf", "pdfs/o/doc-1/thumbnail-v2.png"),
    )
    assert await f.lifecycle.apply(late) is Outcome.STALE
    assert f.sweeper.keys == ["pdfs/o/doc-1/document-v2.pdf", "pdfs/o/doc-1/thumbnail-v2.png"]
    document = f.db.documents["doc-1"]
    assert (document.version, document.status) == (3, Status.COMPLETED)
    assert "RENDERING output v2" not in f.db.outputs["doc-1"]


def test_only_keys_named_for_the_stale_version_are_swept() -> None:
    assert owned_by_version("transcripts/o/d/summary-v2.json", 2)
    assert owned_by_version("pdfs/o/d/document-v2.pdf", 2)
    assert not owned_by_version("pdfs/o/d/document-v12.pdf", 2)
    # Shared by every version (a newer one may be writing it right now): kept.
    assert not owned_by_version("pdfs/o/d/document.pdf", 2)
    assert not owned_by_version("transcripts/o/d/transcript.json", 2)


@pytest.mark.asyncio
async def test_late_work_for_a_deleted_document_is_swept_and_commands_nothing() -> None:
    # Bug (b): the transcriber finishing after the delete must not start the rest.
    f = fake_lifecycle()
    f.upload()
    await f.lifecycle.delete("doc-1")
    assert f.db.removed == ["doc-1"]
    commands = list(f.db.outbox)
    assert await f.lifecycle.apply(done(Stage.TRANSCRIPTION)) is None
    assert f.db.outbox == commands
    assert f.sweeper.documents == [(OWNER, "doc-1"), (OWNER, "doc-1")]


@pytest.mark.asyncio
async def test_deleting_an_unknown_document_is_refused() -> None:
    f = fake_lifecycle()
    with pytest.raises(DocumentNotFound):
        await f.lifecycle.delete("nope")


@pytest.mark.asyncio
async def test_a_failing_commit_keeps_neither_the_state_nor_the_command() -> None:
    f = fake_lifecycle()
    f.upload()
    f.units.fail_next_commit = True
    with pytest.raises(ConnectionError):
        await f.lifecycle.apply(done(Stage.TRANSCRIPTION))
    assert f.db.documents["doc-1"].stage is Stage.TRANSCRIPTION
    assert f.db.commands("doc-1") == [StageCommanded(Stage.TRANSCRIPTION)]
    # The redelivered event is applied then (it was not recorded as applied).
    assert await f.lifecycle.apply(done(Stage.TRANSCRIPTION)) is Outcome.APPLIED


@pytest.mark.asyncio
async def test_regenerate_needs_a_transcript_and_keeps_the_settings() -> None:
    f = fake_lifecycle()
    f.upload()
    command = StartVersion(
        "doc-1",
        Stage.SUMMARIZATION,
        settings=VersionSettings(summary_length=3),
        needs_transcript=True,
    )
    with pytest.raises(NoTranscript):
        await f.lifecycle.start_version(command)
    await finish(f)
    regenerated = await f.lifecycle.start_version(command)
    assert (regenerated.version, regenerated.job.id) == (2, "job-1")
    assert f.db.settings["doc-1"] == VersionSettings(summary_length=3)
    assert f.db.commands("doc-1")[-1] == StageCommanded(Stage.SUMMARIZATION)


@pytest.mark.asyncio
async def test_retry_restarts_the_failed_stage_in_the_same_job() -> None:
    f = fake_lifecycle()
    f.upload()
    with pytest.raises(JobNotFailed):
        await f.lifecycle.start_version(
            StartVersion("doc-1", Stage.TRANSCRIPTION, retry_job_id="doc-1-job-1")
        )
    with pytest.raises(JobNotFound):
        await f.lifecycle.start_version(
            StartVersion("doc-1", Stage.TRANSCRIPTION, retry_job_id="no-such-job")
        )
    await f.lifecycle.apply(report(ReportKind.FAILED, Stage.TRANSCRIPTION, reason="bad media"))
    assert f.db.commands("doc-1")[-1] == NotificationCommanded(
        completed=False, reason="bad media", failed_stage=Stage.TRANSCRIPTION
    )
    retried = await f.lifecycle.start_version(
        StartVersion("doc-1", Stage.TRANSCRIPTION, retry_job_id="doc-1-job-1")
    )
    assert (retried.version, retried.job.id, retried.job.attempts) == (2, "doc-1-job-1", 2)
    assert f.db.commands("doc-1")[-1] == StageCommanded(Stage.TRANSCRIPTION)


@pytest.mark.asyncio
async def test_the_notifiers_failure_leaves_the_document_completed() -> None:
    f = fake_lifecycle()
    f.upload()
    await finish(f)
    failed = report(ReportKind.FAILED, Stage.NOTIFICATION, reason="mailbox full")
    assert await f.lifecycle.apply(failed) is Outcome.APPLIED
    document = f.db.documents["doc-1"]
    assert (document.status, document.notification_state) == (
        Status.COMPLETED,
        NotificationState.FAILED,
    )


@pytest.mark.asyncio
async def test_the_email_sent_marks_the_notification_sent() -> None:
    f = fake_lifecycle()
    f.upload()
    await finish(f)
    await f.lifecycle.apply(report(ReportKind.NOTIFIED, Stage.NOTIFICATION))
    assert f.db.documents["doc-1"].notification_state is NotificationState.SENT


@pytest.mark.asyncio
async def test_a_stale_report_never_sweeps_what_the_document_still_serves() -> None:
    # v1's PDF is served while v2 runs; a late copy of v1's render must not remove it.
    f = fake_lifecycle()
    f.upload()
    await finish(f)
    f.db.served["doc-1"] = {"pdfs/o/doc-1/pdf-v1.pdf"}
    await f.lifecycle.start_version(StartVersion("doc-1", Stage.SUMMARIZATION))
    late = done(
        Stage.RENDERING,
        version=1,
        event_id="another-copy",
        keys=("pdfs/o/doc-1/pdf-v1.pdf", "pdfs/o/doc-1/thumbnail-v1.png"),
    )
    assert await f.lifecycle.apply(late) is Outcome.STALE
    assert f.sweeper.keys == ["pdfs/o/doc-1/thumbnail-v1.png"]
