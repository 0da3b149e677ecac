"""Notification jobs: the library's `notification.requested` -> a completion email with a
PDF link, the action items and the decisions, or a failure email with the reason. The input
event's id is the send's idempotency key, so a redelivered event never sends a second email.

The library asks only for versions that want email and has completed the document already
(its report exists); a request for a version that did not ask (`JobContext.notify` false)
sends none, yet still reports `notification.sent`."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Unpack

from google.protobuf import json_format

from services.kernel import catalogue
from services.kernel.jetstream import PermanentError, ReceivedEvent, TransientError
from services.kernel.links import document_url
from services.kernel.stage import StageWorker, StageWorkerParts, event_id, summary_object_key
from services.kernel.storage import pdf_key
from services.notifier.email import (
    ActionItem,
    EmailContext,
    EmailSender,
    FailedStep,
    PermanentEmailError,
    TransientEmailError,
    completion_email,
    failure_email,
)
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.notifier")

FAILED_STEPS = {
    library_pb2.STAGE_UPLOAD: FailedStep.UPLOAD,
    library_pb2.STAGE_TRANSCRIPTION: FailedStep.TRANSCRIPTION,
    library_pb2.STAGE_SUMMARIZATION: FailedStep.SUMMARIZATION,
    library_pb2.STAGE_RENDERING: FailedStep.RENDERING,
}


def first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0] if text else ""


class NotificationWorker(StageWorker):
    def __init__(
        self,
        *,
        sender: EmailSender,
        public_base_url: str,
        link_ttl: timedelta,
        **parts: Unpack[StageWorkerParts],
    ) -> None:
        super().__init__(**parts)
        self._sender = sender
        self._base_url = public_base_url
        self._link_ttl = link_ttl

    async def handle(self, event: ReceivedEvent) -> None:
        request = event.parse(events_pb2.NotificationRequested)
        job, completed = request.job, request.completed
        if not job.notify:
            log.info(
                "no email asked for this version",
                extra={"document_id": job.document_id, "completed": completed},
            )
            await self._report(job, completed, message_id="")
            return
        context = await self._context(job, with_pdf=completed)
        if completed:
            email = completion_email(context)
        else:
            step = FAILED_STEPS.get(request.failed_stage, FailedStep.UNKNOWN)
            email = failure_email(context, request.reason, step=step)
        key = event_id(job, "completion-email" if completed else "failure-email")
        # Never email about a deleted document or a superseded version (its link would lead
        # to nothing, or to another version's report).
        if not await self._versions.still_current(job, before="sending the email"):
            return
        try:
            message_id = await self._sender.send(email, idempotency_key=key)
        except TransientEmailError as exc:
            raise TransientError(f"The email could not be sent yet: {exc}") from exc
        except PermanentEmailError as exc:
            raise PermanentError(f"The email was refused: {exc}") from exc
        log.info("email sent", extra={"document_id": job.document_id, "completed": completed})
        await self._report(job, completed, message_id=message_id)

    async def _report(self, job: events_pb2.JobContext, completed: bool, message_id: str) -> None:
        await self._bus.publish(
            catalogue.NOTIFICATION_SENT,
            events_pb2.NotificationSent(job=job, completed=completed, message_id=message_id),
            event_id=event_id(job, "notified" if completed else "failure-notified"),
        )

    async def _context(self, job: events_pb2.JobContext, *, with_pdf: bool) -> EmailContext:
        pdf_url = ""
        summary = events_pb2.Summary()
        if with_pdf:
            pdf_url = await asyncio.to_thread(
                self._store.presigned_get_url,
                job.pdf_key or pdf_key(job.owner_id, job.document_id, job.version),
                self._link_ttl,
                f"{job.title or 'report'}.pdf",
            )
            data = await self._stored(summary_object_key(job))
            if data is not None:
                summary = json_format.Parse(data, events_pb2.Summary(), ignore_unknown_fields=True)
        return EmailContext(
            to_address=job.owner_email,
            to_name=job.owner_name,
            # The job carries only a title the user gave; otherwise the summary's.
            document_title=job.title or summary.title,
            original_file_name=job.original_file_name,
            # The email quotes the summary: it is written in the summary's language.
            language=summary.language or job.summary_language or job.language,
            document_url=document_url(self._base_url, job.document_id),
            pdf_url=pdf_url,
            summary_excerpt=first_paragraph(summary.summary),
            duration_seconds=job.duration_seconds,
            decisions=tuple(summary.decisions),
            action_items=tuple(
                ActionItem(text=item.text, owner=item.owner, due=item.due)
                for item in summary.action_items
            ),
        )
