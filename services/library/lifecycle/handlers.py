"""Command handlers of the lifecycle: one for every way a new version starts (regenerate,
retry, the re-render of an edited transcript) and one for what the stages report.

Each runs inside a unit of work, so a state change and the commands it raises commit together.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from enum import Enum

from services.library.lifecycle.errors import DocumentNotFound, JobNotFound, NoTranscript
from services.library.lifecycle.model import Document, Outcome, Stage
from services.library.lifecycle.ports import (
    Clock,
    IdFactory,
    Sweeper,
    UnitOfWork,
    UnitOfWorkFactory,
    VersionSettings,
)

log = logging.getLogger("speechflow.library.lifecycle")


@dataclass(frozen=True)
class StartVersion:
    """Start a new version of a document at `stage`.

    - regenerate: at SUMMARIZATION with new settings (needs a transcript);
    - retry: at the failed job's stage, continuing that job (`retry_job_id`);
    - re-render of an edit: at RENDERING (or SUMMARIZATION), without email."""

    document_id: str
    stage: Stage
    settings: VersionSettings | None = None
    notify: bool | None = None
    retry_job_id: str | None = None
    needs_transcript: bool = False


class ReportKind(Enum):
    PROGRESSED = "progressed"
    COMPLETED = "completed"
    FAILED = "failed"
    NOTIFIED = "notified"


@dataclass(frozen=True)
class StageReport:
    """What a stage said about one version of a document (parsed from its event)."""

    event_id: str
    subject: str
    kind: ReportKind
    document_id: str
    owner_id: str
    version: int
    stage: Stage | None
    progress: int = 0
    message: str = ""
    reason: str = ""
    attempts: int = 0
    # The objects the stage wrote (swept if the version is stale or the document gone).
    keys: tuple[str, ...] = ()
    # The stage's event itself, kept as the document's outputs when applied.
    outputs: object = field(default=None, compare=False)


async def start_version(
    uow: UnitOfWork, command: StartVersion, *, clock: Clock, new_id: IdFactory
) -> Document:
    """Runs inside the caller's unit of work (an edit saves its revision in the same one)."""
    document = await uow.documents.get(command.document_id)
    if document is None:
        raise DocumentNotFound(command.document_id)
    retrying = None
    if command.retry_job_id is not None:
        retrying = await uow.documents.get_job(command.retry_job_id)
        if retrying is None:
            raise JobNotFound(command.retry_job_id)
        document.check_retry(retrying)
    if command.needs_transcript and not document.has_transcript:
        raise NoTranscript()
    if command.settings is not None:
        uow.documents.change_settings(document, command.settings)
    document.start_version(
        command.stage, clock(), new_job_id=new_id(), retrying=retrying, notify=command.notify
    )
    return document


# A key a stage wrote for one version carries it in its file name (`summary-v3.json`,
# `document-v3.pdf`): only such keys are swept, never one a newer version writes too (the
# transcript, say, which is keyed by revision).
_VERSION_IN_NAME = r"(?:^|[-_.])v{version}(?:[-_.]|$)"


def owned_by_version(key: str, version: int) -> bool:
    name = key.rsplit("/", 1)[-1]
    return re.search(_VERSION_IN_NAME.format(version=version), name) is not None


async def apply_report(
    uow_for: UnitOfWorkFactory, sweeper: Sweeper, report: StageReport, *, clock: Clock
) -> Outcome | None:
    """Applies a stage's report once (a redelivery changes nothing). None when the document
    is gone: what its late stage wrote is swept, and nothing further is commanded."""
    outcome: Outcome | None = None
    in_use: frozenset[str] = frozenset()
    async with uow_for(report.document_id) as uow:
        if not await uow.first_time(report.event_id, report.subject):
            return Outcome.IGNORED
        document = await uow.documents.get(report.document_id)
        if document is not None:
            # Read the clock only once the document is held, so update times follow the order
            # in which concurrent reports commit (watchers drop states older than the last).
            outcome = _apply(document, report, clock)
            if outcome is Outcome.APPLIED and report.kind is ReportKind.COMPLETED:
                await uow.documents.record_outputs(document, report.outputs)
            in_use = uow.documents.keys_in_use(document)
    if document is None:
        log.info(
            "late work of a deleted document swept",
            extra={"document_id": report.document_id, "subject": report.subject},
        )
        await sweeper.sweep_document(report.owner_id, report.document_id)
        return None
    if outcome is Outcome.STALE:
        # An older version's report stays served until the new one renders: kept.
        stale = [
            key
            for key in report.keys
            if owned_by_version(key, report.version) and key not in in_use
        ]
        if stale:
            log.info(
                "late work of a superseded version swept",
                extra={"document_id": report.document_id, "version": report.version},
            )
            await sweeper.sweep_keys(stale)
    return outcome


def _apply(document: Document, report: StageReport, clock: Clock) -> Outcome:
    now = clock()
    match report.kind:
        case ReportKind.PROGRESSED:
            return document.progressed(
                report.version, report.stage, report.progress, report.message, now
            )
        case ReportKind.COMPLETED:
            assert report.stage is not None
            return document.stage_completed(report.version, report.stage, now)
        case ReportKind.FAILED:
            return document.stage_failed(
                report.version, report.stage, report.reason, report.attempts, now
            )
        case ReportKind.NOTIFIED:
            # A completion or a failure email: either way the owner was told.
            return document.notification_sent(report.version, now)
