"""The document state machine, on its own: no database, no bus, no clock of its own."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from services.library.lifecycle.errors import JobNotFailed, JobSuperseded
from services.library.lifecycle.model import (
    Document,
    JobStatus,
    NotificationCommanded,
    NotificationState,
    Outcome,
    Stage,
    StageCommanded,
    Status,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def uploaded() -> Document:
    document = Document.accepted("doc", "owner", "job-1", T0)
    document.events.clear()
    return document


def through(document: Document, *stages: Stage) -> Document:
    for n, stage in enumerate(stages, start=1):
        assert document.stage_completed(document.version, stage, at(n)) is Outcome.APPLIED
    return document


def test_an_upload_is_queued_for_transcription_and_commands_it() -> None:
    document = Document.accepted("doc", "owner", "job-1", T0)
    assert (document.status, document.stage, document.progress) == (
        Status.PROCESSING,
        Stage.TRANSCRIPTION,
        10,
    )
    assert document.events == [StageCommanded(Stage.TRANSCRIPTION)]
    assert document.job.is_new
    assert document.job.version == 1


def test_each_finished_stage_commands_the_next_with_its_milestone() -> None:
    document = uploaded()
    document.stage_completed(1, Stage.TRANSCRIPTION, at(1))
    assert (document.stage, document.progress) == (Stage.SUMMARIZATION, 50)
    document.stage_completed(1, Stage.SUMMARIZATION, at(2))
    assert (document.stage, document.progress) == (Stage.RENDERING, 75)
    assert document.events == [
        StageCommanded(Stage.SUMMARIZATION),
        StageCommanded(Stage.RENDERING),
    ]
    assert [run.stage for run in document.job.runs] == [Stage.TRANSCRIPTION, Stage.SUMMARIZATION]


def test_rendered_completes_the_document_at_once_and_then_asks_for_the_email() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION, Stage.SUMMARIZATION, Stage.RENDERING)
    assert (document.status, document.progress) == (Status.COMPLETED, 100)
    assert document.process_time is not None
    assert document.job.status is JobStatus.SUCCEEDED
    assert document.notification_state is NotificationState.PENDING
    assert document.events[-1] == NotificationCommanded(completed=True)


def test_a_version_without_notify_completes_without_an_email() -> None:
    document = uploaded()
    document.notify = False
    through(document, Stage.TRANSCRIPTION, Stage.SUMMARIZATION, Stage.RENDERING)
    assert document.status is Status.COMPLETED
    assert document.notification_state is NotificationState.NOT_REQUESTED
    assert not any(isinstance(e, NotificationCommanded) for e in document.events)


def test_the_email_going_out_marks_the_notification_sent() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION, Stage.SUMMARIZATION, Stage.RENDERING)
    assert document.notification_sent(1, at(9)) is Outcome.APPLIED
    assert document.notification_state is NotificationState.SENT
    assert document.notification_sent(1, at(10)) is Outcome.IGNORED


def test_a_notifier_failure_leaves_the_completed_document_completed() -> None:
    # Bug (e): the report exists, so the email failing must not fail the document.
    document = through(uploaded(), Stage.TRANSCRIPTION, Stage.SUMMARIZATION, Stage.RENDERING)
    outcome = document.stage_failed(1, Stage.NOTIFICATION, "mail refused", 4, at(9))
    assert outcome is Outcome.APPLIED
    assert (document.status, document.progress) == (Status.COMPLETED, 100)
    assert document.notification_state is NotificationState.FAILED
    assert document.job.status is JobStatus.SUCCEEDED


def test_a_failed_stage_fails_the_document_and_asks_for_a_failure_email() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION)
    document.stage_failed(1, Stage.SUMMARIZATION, "model crashed", 4, at(5))
    assert (document.status, document.stage) == (Status.FAILED, Stage.SUMMARIZATION)
    assert document.error_message == "model crashed"
    assert (document.job.status, document.job.attempts) == (JobStatus.FAILED, 4)
    assert document.events[-1] == NotificationCommanded(
        completed=False, reason="model crashed", failed_stage=Stage.SUMMARIZATION
    )
    assert document.notification_state is NotificationState.PENDING


def test_a_duplicate_or_unrequested_completion_is_ignored() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION)
    events = list(document.events)
    assert document.stage_completed(1, Stage.TRANSCRIPTION, at(5)) is Outcome.IGNORED
    # A completion of a stage the library has not asked for yet (out of order).
    assert document.stage_completed(1, Stage.RENDERING, at(6)) is Outcome.IGNORED
    assert document.events == events
    assert document.stage is Stage.SUMMARIZATION


def test_events_of_a_superseded_version_are_stale() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION, Stage.SUMMARIZATION)
    document.start_version(Stage.SUMMARIZATION, at(5), new_job_id="job-2")
    assert document.stage_completed(1, Stage.RENDERING, at(6)) is Outcome.STALE
    assert document.stage_failed(1, Stage.RENDERING, "late crash", 1, at(7)) is Outcome.STALE
    assert document.progressed(1, Stage.SUMMARIZATION, 70, "", at(8)) is Outcome.STALE
    assert (document.version, document.status, document.stage) == (
        2,
        Status.PROCESSING,
        Stage.SUMMARIZATION,
    )


def test_progress_moves_forward_only_and_stays_below_done() -> None:
    document = uploaded()
    assert document.progressed(1, Stage.TRANSCRIPTION, 30, "Transcribing", at(1)) is Outcome.APPLIED
    assert document.progressed(1, Stage.TRANSCRIPTION, 20, "", at(2)) is Outcome.IGNORED
    # Progress of a stage that already finished changes nothing.
    document.stage_completed(1, Stage.TRANSCRIPTION, at(3))
    assert document.progressed(1, Stage.TRANSCRIPTION, 45, "", at(4)) is Outcome.IGNORED
    assert document.progress == 50
    document.progressed(1, Stage.SUMMARIZATION, 120, "", at(5))
    assert document.progress == 99  # only completion reaches 100


def test_regenerate_starts_a_new_version_and_job_at_summarization() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION, Stage.SUMMARIZATION, Stage.RENDERING)
    document.events.clear()
    document.start_version(Stage.SUMMARIZATION, at(9), new_job_id="job-2", notify=False)
    assert (document.version, document.status, document.progress) == (2, Status.PROCESSING, 50)
    assert (document.job.id, document.job.version, document.job.is_new) == ("job-2", 2, True)
    assert document.notify is False
    assert document.notification_state is NotificationState.UNSPECIFIED
    assert document.events == [StageCommanded(Stage.SUMMARIZATION)]


def test_retry_continues_the_failed_job_in_a_new_version() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION)
    document.stage_failed(1, Stage.SUMMARIZATION, "model crashed", 4, at(5))
    failed = document.job
    document.check_retry(failed)
    document.start_version(Stage.SUMMARIZATION, at(6), new_job_id="unused", retrying=failed)
    assert (document.job.id, document.job.version, document.job.attempts) == ("job-1", 2, 5)
    assert (document.job.status, document.error_message) == (JobStatus.RUNNING, "")
    assert document.notify is True  # the retried version emailed, so does its retry


def test_only_the_current_failed_job_can_be_retried() -> None:
    document = through(uploaded(), Stage.TRANSCRIPTION)
    with pytest.raises(JobNotFailed):
        document.check_retry(document.job)
    document.stage_failed(1, Stage.SUMMARIZATION, "crash", 1, at(5))
    old = document.job
    document.start_version(Stage.SUMMARIZATION, at(6), new_job_id="job-2")
    old_copy = type(old)(**{**old.__dict__, "version": 1, "status": JobStatus.FAILED})
    with pytest.raises(JobSuperseded):
        document.check_retry(old_copy)


def test_a_job_that_failed_at_the_email_is_retried_from_rendering() -> None:
    # Jobs failed at notification before the email had a state of its own.
    document = through(uploaded(), Stage.TRANSCRIPTION, Stage.SUMMARIZATION)
    document.stage = Stage.NOTIFICATION
    document.stage_failed(1, None, "mail refused", 4, at(5))
    document.events.clear()
    document.start_version(Stage.NOTIFICATION, at(6), new_job_id="j", retrying=document.job)
    assert document.events == [StageCommanded(Stage.RENDERING)]
    assert (document.stage, document.progress) == (Stage.RENDERING, 75)


def test_the_model_its_handlers_and_the_rules_import_neither_grpc_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import services.library.lifecycle.service, services.library.domain\n"
        "import services.library.lifecycle.queries\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'grpc', 'sqlalchemy'}))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"
