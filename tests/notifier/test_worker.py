"""The notification stage against a real NATS server and store: what the completion email
lists, and that a version which did not ask for email sends none yet still finishes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from google.protobuf import json_format
from nats.js.api import DeliverPolicy

from services.kernel.catalogue import NOTIFICATION_REQUESTED as REQUESTED
from services.kernel.catalogue import NOTIFICATION_SENT as SENT
from services.kernel.jetstream import EventBus, ReceivedEvent, producer_stream
from services.kernel.links import files_base_url
from services.kernel.stage import summary_object_key
from services.kernel.storage import (
    ObjectStore,
    StorageSettings,
    local_url_signer,
    store_from_settings,
)
from services.mesh.nats_server import NatsServer
from services.notifier.email import OutboxSender
from services.notifier.worker import NotificationWorker
from speechflow.events.v1 import events_pb2

NBSP = "\u00a0"


@dataclass
class Stage:
    worker: NotificationWorker
    bus: EventBus
    store: ObjectStore
    outbox: Path


@pytest.fixture
async def stage(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Stage]:
    bus = await EventBus.connect(nats_server.url, source="notifier")
    await bus.ensure_streams([producer_stream("notifier")])
    store = store_from_settings(
        StorageSettings(storage_backend="local", data_dir=tmp_path),
        url_signer=local_url_signer(b"test-secret" * 3, files_base_url("http://localhost:8080")),
    )
    outbox = tmp_path / "outbox"
    worker = NotificationWorker(
        bus=bus,
        store=store,
        sender=OutboxSender(outbox, "SpeechFlow <noreply@speechflow.example>"),
        public_base_url="http://localhost:8080",
        link_ttl=timedelta(hours=1),
    )
    try:
        yield Stage(worker, bus, store, outbox)
    finally:
        await bus.close()


def job(*, notify: bool, **fields: object) -> events_pb2.JobContext:
    return events_pb2.JobContext(
        job_id=str(uuid.uuid4()),
        document_id=str(uuid.uuid4()),
        owner_id=str(uuid.uuid4()),
        owner_email="ada@example.com",
        owner_name="Ada",
        version=1,
        original_file_name="planning.m4a",
        language="en",
        notify=notify,
        **fields,  # type: ignore[arg-type]
    )


def meeting_summary(**fields: object) -> events_pb2.Summary:
    values: dict[str, object] = {
        "title": "Launch plan and budget cap",
        "summary": "The team moved the launch and capped the budget.",
        "decisions": ["Launch moves to March 3", "Budget capped at $50,000"],
        "action_items": [
            events_pb2.ActionItem(text="Send the revised plan", owner="Maria", due="2026-12-04"),
            events_pb2.ActionItem(text="Book the venue", owner="Daniel", due="next week"),
            events_pb2.ActionItem(text="Check the contract"),
        ],
        "language": "en",
    }
    return events_pb2.Summary(**(values | fields))  # type: ignore[arg-type]


async def deliver(
    stage: Stage, completed: bool, context: events_pb2.JobContext, summary: events_pb2.Summary
) -> events_pb2.NotificationSent:
    """Stores the version's summary, hands the stage the library's `notification.requested`
    (a completion or a failure email) and returns what it reported on `notification.sent`."""
    data = json_format.MessageToJson(summary).encode()
    await asyncio.to_thread(
        stage.store.put_bytes, summary_object_key(context), data, "application/json"
    )
    payload = events_pb2.NotificationRequested(
        job=context,
        completed=completed,
        reason="" if completed else "The model was unavailable.",
    )
    sent = await stage.bus.js.subscribe(
        SENT, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
    )
    try:
        await stage.worker.handle(
            ReceivedEvent(
                subject=REQUESTED,
                data=payload.SerializeToString(),
                headers={},
                attempt=1,
                event_id=f"{context.document_id}-input",
            )
        )
        while True:
            message = await sent.next_msg(timeout=10)
            report = events_pb2.NotificationSent.FromString(message.data)
            if report.job.document_id == context.document_id:
                return report
    finally:
        await sent.unsubscribe()


def emails_in(outbox: Path) -> list[EmailMessage]:
    if not outbox.exists():
        return []
    messages = []
    for path in sorted(outbox.glob("*.eml")):
        with path.open("rb") as file:
            message = BytesParser(policy=policy.default).parse(file)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_completion_email_lists_action_items_with_owner_and_due_and_decisions(
    stage: Stage,
) -> None:
    report = await deliver(stage, True, job(notify=True), meeting_summary())

    [email] = emails_in(stage.outbox)
    text = text_of(email)
    assert "Action items\n- Send the revised plan — Maria (due 4 December 2026)" in text
    assert "- Book the venue — Daniel (due next week)" in text
    assert "- Check the contract\n" in text
    assert "Decisions\n- Launch moves to March 3\n- Budget capped at $50,000" in text
    # The generated title names the document when the user gave none.
    assert email["Subject"] == "Your summary is ready: Launch plan and budget cap"
    assert (report.completed, bool(report.message_id)) == (True, True)


@pytest.mark.asyncio
async def test_completion_email_is_written_in_the_summarys_language(stage: Stage) -> None:
    summary = meeting_summary(
        language="fr",
        decisions=["Le lancement passe au 3 mars"],
        action_items=[
            events_pb2.ActionItem(text="Réserver la salle", owner="Daniel", due="2026-12-04")
        ],
    )
    await deliver(stage, True, job(notify=True, summary_language="fr"), summary)

    [email] = emails_in(stage.outbox)
    text = text_of(email)
    assert (
        f"Actions à mener\n- Réserver la salle — Daniel (échéance{NBSP}: 4 décembre 2026)" in text
    )
    assert "Décisions\n- Le lancement passe au 3 mars" in text


@pytest.mark.asyncio
async def test_a_version_that_did_not_ask_for_email_sends_none_but_still_finishes(
    stage: Stage,
) -> None:
    report = await deliver(stage, True, job(notify=False), meeting_summary())

    assert emails_in(stage.outbox) == []
    assert (report.completed, report.message_id) == (True, "")


@pytest.mark.asyncio
async def test_a_failure_of_a_version_that_did_not_ask_for_email_sends_none(
    stage: Stage,
) -> None:
    report = await deliver(stage, False, job(notify=False), meeting_summary())

    assert emails_in(stage.outbox) == []
    assert report.completed is False
