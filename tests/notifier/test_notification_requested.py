"""The notifier's one input, the library's `notification.requested`, in process (a fake bus
and a recording sender, no NATS): a completed document gets the completion email with its
PDF link, a failed one the failure email with the reason and the step, each reported once."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from services.kernel.catalogue import NOTIFICATION_REQUESTED, NOTIFICATION_SENT
from services.kernel.jetstream import ReceivedEvent
from services.kernel.stage import summary_object_key
from services.kernel.storage import (
    ObjectStore,
    StorageSettings,
    pdf_key,
    store_from_settings,
)
from services.notifier.email import Email
from services.notifier.worker import NotificationWorker
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2


@dataclass
class FakeBus:
    published: list[tuple[str, Message, str | None]] = field(default_factory=list)

    async def publish(self, subject: str, message: Message, *, event_id: str | None = None) -> str:
        self.published.append((subject, message, event_id))
        return event_id or ""

    def reports(self) -> list[events_pb2.NotificationSent]:
        return [
            events_pb2.NotificationSent.FromString(message.SerializeToString())
            for subject, message, _ in self.published
            if subject == NOTIFICATION_SENT
        ]


@dataclass
class RecordingSender:
    """Sends once per idempotency key, as every real sender does."""

    sent: dict[str, Email] = field(default_factory=dict)

    async def send(self, email: Email, idempotency_key: str) -> str:
        self.sent.setdefault(idempotency_key, email)
        return f"message-{idempotency_key}"


@dataclass
class Notifier:
    worker: NotificationWorker
    bus: FakeBus
    sender: RecordingSender
    store: ObjectStore


def key_in_url(
    key: str, expires: timedelta, download_name: str | None, *, inline: bool = False
) -> str:
    """Download links that show which object they lead to."""
    return f"http://files.test/{key}"


@pytest.fixture
def notifier(tmp_path: Path) -> Notifier:
    store = store_from_settings(
        StorageSettings(storage_backend="local", data_dir=tmp_path),
        url_signer=key_in_url,
    )
    bus, sender = FakeBus(), RecordingSender()
    worker = NotificationWorker(
        bus=bus,
        store=store,
        sender=sender,
        public_base_url="http://localhost:8080",
        link_ttl=timedelta(hours=1),
    )
    return Notifier(worker, bus, sender, store)


def job() -> events_pb2.JobContext:
    return events_pb2.JobContext(
        job_id=str(uuid.uuid4()),
        document_id=str(uuid.uuid4()),
        owner_id=str(uuid.uuid4()),
        owner_email="ada@example.com",
        owner_name="Ada",
        version=2,
        title="Planning",
        original_file_name="planning.m4a",
        language="en",
        notify=True,
    )


def requested(request: events_pb2.NotificationRequested) -> ReceivedEvent:
    return ReceivedEvent(
        subject=NOTIFICATION_REQUESTED,
        data=request.SerializeToString(),
        headers={},
        attempt=1,
        event_id=f"{request.job.document_id}-notification-requested",
    )


async def store_summary(store: ObjectStore, context: events_pb2.JobContext) -> None:
    summary = events_pb2.Summary(
        title="Planning", summary="The team ships in May.", decisions=["Ship in May"]
    )
    data = json_format.MessageToJson(summary).encode()
    await asyncio.to_thread(store.put_bytes, summary_object_key(context), data, "application/json")


async def test_a_completed_document_gets_the_completion_email_with_its_versions_pdf(
    notifier: Notifier,
) -> None:
    context = job()
    await store_summary(notifier.store, context)

    await notifier.worker.handle(
        requested(events_pb2.NotificationRequested(job=context, completed=True))
    )

    [email] = notifier.sender.sent.values()
    assert email.to == "Ada <ada@example.com>"
    assert email.subject == "Your summary is ready: Planning"
    assert "Ship in May" in email.text
    assert f"http://files.test/{pdf_key(context.owner_id, context.document_id, 2)}" in email.text
    [report] = notifier.bus.reports()
    assert (report.completed, report.job.document_id) == (True, context.document_id)
    assert report.message_id


async def test_a_failed_document_gets_the_failure_email_with_the_reason_and_the_step(
    notifier: Notifier,
) -> None:
    context = job()
    request = events_pb2.NotificationRequested(
        job=context,
        completed=False,
        reason="The summary model was unavailable.",
        failed_stage=library_pb2.STAGE_SUMMARIZATION,
    )

    await notifier.worker.handle(requested(request))

    [email] = notifier.sender.sent.values()
    assert email.subject == "Processing failed: Planning"
    assert "We could not write the summary of your recording “Planning”." in email.text
    assert "What went wrong: The summary model was unavailable." in email.text
    [report] = notifier.bus.reports()
    assert report.completed is False


@pytest.mark.parametrize("completed", [True, False])
async def test_a_redelivered_request_sends_one_email_under_the_same_report_id(
    notifier: Notifier, completed: bool
) -> None:
    context = job()
    await store_summary(notifier.store, context)
    request = requested(events_pb2.NotificationRequested(job=context, completed=completed))

    await notifier.worker.handle(request)
    await notifier.worker.handle(request)

    assert len(notifier.sender.sent) == 1
    report_ids = {event_id for subject, _, event_id in notifier.bus.published}
    assert len(notifier.bus.published) == 2
    assert len(report_ids) == 1
