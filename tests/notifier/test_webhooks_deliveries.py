"""Which `document.changed` events become deliveries, and how attempts are recorded: a real
SQLite database (migrated as the service does) and a fake sender that answers as scripted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.kernel.db import Database, sqlite_url_in, upgrade_schema
from services.kernel.jetstream import ReceivedEvent, TransientError
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.versions import EveryVersionCurrent
from services.notifier.app import MIGRATIONS
from services.notifier.webhooks.book import WebhookBook, WebhookChanges
from services.notifier.webhooks.delivery import AttemptResult, WebhookDeliveries
from services.notifier.webhooks.payload import PayloadBuilder
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from speechflow.notifier.v1 import notifier_pb2 as pb

OWNER = "owner-1"
MAX_ATTEMPTS = 3


@dataclass
class ScriptedSender:
    answers: list[int] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, url: str, secret: str, delivery_id: str, body: str) -> AttemptResult:
        self.sent.append((url, delivery_id))
        code = self.answers.pop(0) if self.answers else 200
        return AttemptResult(code, "" if code == 200 else f"The endpoint answered {code}.")


@dataclass
class Harness:
    book: WebhookBook
    sender: ScriptedSender
    deliveries: WebhookDeliveries
    deleted_accounts: set[str]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    url = sqlite_url_in(tmp_path, "notifier")
    upgrade_schema(url, MIGRATIONS, "alembic_version_notifier")
    db = Database(url)
    sender = ScriptedSender()
    deleted: set[str] = set()
    store = store_from_settings(StorageSettings(data_dir=tmp_path))
    deliveries = WebhookDeliveries(
        db=db,
        sender=sender,
        payloads=PayloadBuilder(store, "http://localhost:8080", timedelta(hours=1)),
        versions=EveryVersionCurrent(),
        deleted_accounts=deleted,
        max_attempts=MAX_ATTEMPTS,
    )
    yield Harness(WebhookBook(db, allow_private_targets=True), sender, deliveries, deleted)
    await db.dispose()


def changed(
    status: int = library_pb2.DOCUMENT_STATUS_FAILED,
    *,
    event_id: str = "e1",
    attempt: int = 1,
    when: datetime | None = None,
) -> ReceivedEvent:
    message = events_pb2.DocumentChanged(
        document_id="doc-1",
        owner_id=OWNER,
        status=status,  # type: ignore[arg-type]
        version=1,
        message="Transcription failed",
    )
    message.update_time.FromDatetime(when or datetime.now(UTC) + timedelta(seconds=1))
    return ReceivedEvent(
        "speechflow.library.v1.document.changed",
        message.SerializeToString(),
        {},
        attempt,
        event_id,
    )


async def test_a_state_that_is_not_final_delivers_nothing(harness: Harness) -> None:
    await harness.book.create(OWNER, WebhookChanges(url="http://127.0.0.1/h"))
    await harness.deliveries.handle(changed(library_pb2.DOCUMENT_STATUS_PROCESSING))
    assert harness.sender.sent == []


async def test_a_version_that_changes_again_is_delivered_once(harness: Harness) -> None:
    webhook = await harness.book.create(OWNER, WebhookChanges(url="http://127.0.0.1/h"))
    await harness.deliveries.handle(changed(event_id="e1"))
    await harness.deliveries.handle(changed(event_id="e2"))
    assert len(harness.sender.sent) == 1
    [delivery], _ = await harness.book.deliveries(OWNER, webhook.id, 10, "")
    assert (delivery.event_type, delivery.status, delivery.attempts) == (
        "document.failed",
        pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED,
        1,
    )


async def test_only_webhooks_that_asked_for_the_event_are_sent_it(harness: Harness) -> None:
    await harness.book.create(
        OWNER, WebhookChanges(url="http://127.0.0.1/done", events=["document.completed"])
    )
    failures = await harness.book.create(
        OWNER, WebhookChanges(url="http://127.0.0.1/failed", events=["document.failed"])
    )
    await harness.deliveries.handle(changed())
    assert [url for url, _ in harness.sender.sent] == [failures.url]


async def test_an_unanswered_delivery_is_retried_then_marked_failed(harness: Harness) -> None:
    webhook = await harness.book.create(OWNER, WebhookChanges(url="http://127.0.0.1/h"))
    harness.sender.answers = [500, 502, 503]
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(TransientError):
            await harness.deliveries.handle(changed(attempt=attempt))
        [pending], _ = await harness.book.deliveries(OWNER, webhook.id, 10, "")
        assert (pending.status, pending.attempts) == (pb.WEBHOOK_DELIVERY_STATUS_PENDING, attempt)
    await harness.deliveries.handle(changed(attempt=MAX_ATTEMPTS))  # the last: no raise
    [failed], _ = await harness.book.deliveries(OWNER, webhook.id, 10, "")
    assert (failed.status, failed.attempts, failed.response_code) == (
        pb.WEBHOOK_DELIVERY_STATUS_FAILED,
        MAX_ATTEMPTS,
        503,
    )
    assert len({delivery_id for _, delivery_id in harness.sender.sent}) == 1


async def test_what_happened_before_a_webhook_was_made_is_not_sent_to_it(
    harness: Harness,
) -> None:
    await harness.book.create(OWNER, WebhookChanges(url="http://127.0.0.1/h"))
    await harness.deliveries.handle(changed(when=datetime.now(UTC) - timedelta(days=1)))
    assert harness.sender.sent == []


async def test_a_deleted_account_is_sent_nothing(harness: Harness) -> None:
    await harness.book.create(OWNER, WebhookChanges(url="http://127.0.0.1/h"))
    harness.deleted_accounts.add(OWNER)
    await harness.deliveries.handle(changed())
    assert harness.sender.sent == []
