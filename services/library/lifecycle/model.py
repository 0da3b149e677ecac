"""A document's lifecycle, declared once: its versions, the job processing each version and
the state machine

    accepted → transcribing → summarizing → rendering → completed | failed

The library orchestrates the pipeline: every transition that starts a stage raises
`StageCommanded`, which the unit of work turns into that stage's one input
(`speechflow.library.v1.<stage>.requested`) in the same transaction. A version is COMPLETED as
soon as its report exists; the email has its own state and never fails a finished document.

Pure: no I/O, no gRPC, no SQLAlchemy (the catalogue it reads milestones from is declarations
only). The clock is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum

from services.kernel import catalogue
from services.library.lifecycle.errors import JobNotFailed, JobSuperseded


class Status(IntEnum):
    """Mirrors `speechflow.library.v1.DocumentStatus`."""

    UPLOADING = 1
    PROCESSING = 2
    COMPLETED = 3
    FAILED = 4


class Stage(IntEnum):
    """Mirrors `speechflow.library.v1.Stage`."""

    UPLOAD = 1
    TRANSCRIPTION = 2
    SUMMARIZATION = 3
    RENDERING = 4
    NOTIFICATION = 5


class JobStatus(IntEnum):
    RUNNING = 1
    SUCCEEDED = 2
    FAILED = 3


class NotificationState(IntEnum):
    """Mirrors `speechflow.library.v1.NotificationState`."""

    UNSPECIFIED = 0
    PENDING = 1
    SENT = 2
    FAILED = 3
    NOT_REQUESTED = 4


# Progress when a stage starts (and so when the one before it has finished), from the
# pipeline catalogue.
STAGE_START_PROGRESS = {
    Stage(step.stage): step.start_progress
    for step in catalogue.STAGES
    if step.stage < Stage.NOTIFICATION
}
TRANSCRIPTION_END_PROGRESS = catalogue.TRANSCRIBED_PROGRESS
DONE_PROGRESS = catalogue.DONE_PROGRESS
# Below 100 until the report exists: only completion reaches it.
MAX_RUNNING_PROGRESS = 99
# The stage after each one the library runs; rendering is the last (notification is a
# side effect of completion, not a stage a document waits for).
NEXT_STAGE = {
    Stage.TRANSCRIPTION: Stage.SUMMARIZATION,
    Stage.SUMMARIZATION: Stage.RENDERING,
}
LAST_STAGE = Stage.RENDERING

STAGE_WORDS = {
    Stage.UPLOAD: "Uploading",
    Stage.TRANSCRIPTION: "Transcribing",
    Stage.SUMMARIZATION: "Summarizing",
    Stage.RENDERING: "Rendering the PDF",
    Stage.NOTIFICATION: "Sending the email",
}
QUEUED_MESSAGE = "Queued for transcription"
DONE_MESSAGE = "Done"


class Outcome(Enum):
    """What applying a stage's event did."""

    APPLIED = "applied"
    # For the current version, but nothing to do: a stage that is not running (a duplicate,
    # or a completion that was never asked for).
    IGNORED = "ignored"
    # For an older version: a regenerate or retry superseded it; its outputs are swept.
    STALE = "stale"


# Domain events: what a transition asks the outside world to do.


@dataclass(frozen=True)
class StageCommanded:
    """Run `stage` for the document's current version."""

    stage: Stage


@dataclass(frozen=True)
class NotificationCommanded:
    """Email the owner that the current version completed or failed (at `failed_stage`)."""

    completed: bool
    reason: str = ""
    failed_stage: Stage | None = None


DomainEvent = StageCommanded | NotificationCommanded


@dataclass(frozen=True)
class StageRun:
    stage: Stage
    attempt: int
    start_time: datetime
    end_time: datetime
    error_message: str = ""


@dataclass
class Job:
    """The processing of one version (a retry reuses the failed version's job)."""

    id: str
    version: int
    status: JobStatus
    stage: Stage
    create_time: datetime
    update_time: datetime
    attempts: int = 1
    error_message: str = ""
    runs: list[StageRun] = field(default_factory=list)
    is_new: bool = False

    @classmethod
    def started(cls, job_id: str, version: int, stage: Stage, now: datetime) -> Job:
        """A new job of `version`, running from `stage` on."""
        return cls(
            id=job_id,
            version=version,
            status=JobStatus.RUNNING,
            stage=stage,
            create_time=now,
            update_time=now,
            is_new=True,
        )

    def record_run(self, stage: Stage, now: datetime, error: str = "") -> None:
        start = self.runs[-1].end_time if self.runs else self.create_time
        self.runs.append(StageRun(stage, self.attempts, start, now, error))


@dataclass
class Document:
    """The lifecycle part of a document (its data, such as the transcript, lives elsewhere)."""

    id: str
    owner_id: str
    version: int
    status: Status
    stage: Stage
    progress: int
    status_message: str
    error_message: str
    notify: bool
    notification_state: NotificationState
    has_transcript: bool
    update_time: datetime
    job: Job
    process_time: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list)
    changed: bool = False

    @classmethod
    def accepted(cls, document_id: str, owner_id: str, job_id: str, now: datetime) -> Document:
        """A new upload: version 1, queued for transcription, its completion emailed."""
        job = Job.started(job_id, 1, Stage.TRANSCRIPTION, now)
        document = cls(
            id=document_id,
            owner_id=owner_id,
            version=1,
            status=Status.PROCESSING,
            stage=Stage.TRANSCRIPTION,
            progress=STAGE_START_PROGRESS[Stage.TRANSCRIPTION],
            status_message=QUEUED_MESSAGE,
            error_message="",
            notify=True,
            notification_state=NotificationState.UNSPECIFIED,
            has_transcript=False,
            update_time=now,
            job=job,
        )
        document._raise(StageCommanded(Stage.TRANSCRIPTION))
        return document

    # Commands -----------------------------------------------------------------------------

    def start_version(
        self,
        stage: Stage,
        now: datetime,
        *,
        new_job_id: str,
        retrying: Job | None = None,
        notify: bool | None = None,
    ) -> None:
        """A new version from `stage`, keeping earlier stages' outputs (regenerate, retry,
        re-render of an edit). The running version, if any, is superseded: its late events
        are stale. A retry continues the failed version's job; anything else starts a job.
        Unset `notify` keeps the current version's (a retry emails if the one it retries did)."""
        if stage == Stage.NOTIFICATION:
            # The email is no stage a version runs: a job that failed there (before it had a
            # state of its own) is retried from rendering, which completes and then emails.
            stage = Stage.RENDERING
        self.version += 1
        if notify is not None:
            self.notify = notify
        if retrying is not None:
            # The failed job runs again, for this version and from `stage`.
            job = retrying
            job.attempts += 1
            job.version = self.version
            job.status = JobStatus.RUNNING
            job.stage = stage
            job.error_message = ""
            job.update_time = now
        else:
            job = Job.started(new_job_id, self.version, stage, now)
        self.job = job
        self.status = Status.PROCESSING
        self.stage = stage
        self.progress = STAGE_START_PROGRESS.get(stage, self.progress)
        self.status_message = STAGE_WORDS[stage]
        self.error_message = ""
        self.notification_state = NotificationState.UNSPECIFIED
        self._touch(now)
        self._raise(StageCommanded(stage))

    def check_retry(self, job: Job) -> None:
        """Raises unless `job` is this document's current, failed job."""
        if job.status != JobStatus.FAILED:
            raise JobNotFailed()
        if job.version != self.version:
            raise JobSuperseded()

    # Events of the stages -----------------------------------------------------------------

    def progressed(
        self, version: int, stage: Stage | None, progress: int, message: str, now: datetime
    ) -> Outcome:
        if version != self.version:
            return Outcome.STALE
        if not self._running(stage or self.stage):
            return Outcome.IGNORED  # progress of a stage that already finished
        # Progress only moves forward within a version, and only completion reaches 100.
        moved = min(progress, MAX_RUNNING_PROGRESS)
        if moved <= self.progress and (not message or message == self.status_message):
            return Outcome.IGNORED
        self.progress = max(self.progress, moved)
        self.status_message = message or self.status_message
        self._touch(now)
        return Outcome.APPLIED

    def stage_completed(self, version: int, stage: Stage, now: datetime) -> Outcome:
        """The stage finished for `version`: the next one is commanded, or, after rendering,
        the document is COMPLETED and its email (if asked for) is commanded."""
        if version != self.version:
            return Outcome.STALE
        if not self._running(stage):
            return Outcome.IGNORED
        self.job.record_run(stage, now)
        self.job.update_time = now
        if stage == Stage.TRANSCRIPTION:
            self.has_transcript = True
        nxt = NEXT_STAGE.get(stage)
        if nxt is None:
            self._complete(now)
        else:
            self.stage = nxt
            self.progress = max(self.progress, STAGE_START_PROGRESS[nxt])
            self.status_message = STAGE_WORDS[nxt]
            self.job.stage = nxt
            self._raise(StageCommanded(nxt))
        self._touch(now)
        return Outcome.APPLIED

    def stage_failed(
        self, version: int, stage: Stage | None, reason: str, attempts: int, now: datetime
    ) -> Outcome:
        """A stage gave up. The notifier's failure only marks the email FAILED: the report
        exists, so the document stays COMPLETED."""
        if version != self.version:
            return Outcome.STALE
        if stage == Stage.NOTIFICATION:
            return self._notification_ended(NotificationState.FAILED, now)
        if self.status != Status.PROCESSING:
            return Outcome.IGNORED
        failed = stage or self.stage
        self.job.record_run(failed, now, reason)
        self.job.status = JobStatus.FAILED
        self.job.stage = failed
        self.job.attempts = max(self.job.attempts, attempts)
        self.job.error_message = reason
        self.job.update_time = now
        self.status = Status.FAILED
        self.stage = failed
        self.error_message = reason
        self.status_message = f"{STAGE_WORDS[failed]} failed"
        self._request_notification(
            NotificationCommanded(completed=False, reason=reason, failed_stage=failed)
        )
        self._touch(now)
        return Outcome.APPLIED

    def notification_sent(self, version: int, now: datetime) -> Outcome:
        if version != self.version:
            return Outcome.STALE
        return self._notification_ended(NotificationState.SENT, now)

    # Internals ----------------------------------------------------------------------------

    def _running(self, stage: Stage) -> bool:
        return self.status == Status.PROCESSING and self.stage == stage

    def _complete(self, now: datetime) -> None:
        self.status = Status.COMPLETED
        self.progress = DONE_PROGRESS
        self.status_message = DONE_MESSAGE
        self.process_time = now
        self.job.status = JobStatus.SUCCEEDED
        self._request_notification(NotificationCommanded(completed=True))

    def _request_notification(self, command: NotificationCommanded) -> None:
        if self.notify:
            self.notification_state = NotificationState.PENDING
            self._raise(command)
        else:
            self.notification_state = NotificationState.NOT_REQUESTED

    def _notification_ended(self, state: NotificationState, now: datetime) -> Outcome:
        if self.notification_state != NotificationState.PENDING:
            return Outcome.IGNORED
        self.notification_state = state
        self._touch(now)
        return Outcome.APPLIED

    def _touch(self, now: datetime) -> None:
        self.update_time = now
        self.changed = True

    def _raise(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.changed = True
