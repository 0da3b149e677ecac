"""The webhook use cases on a real SQLite database (migrated like the service does): input
checks, ownership, secrets and the private-target rule."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from services.kernel.db import Database, service_database_url, upgrade_schema
from services.kernel.errors import InvalidArgument, NotFound
from services.notifier.app import MIGRATIONS
from services.notifier.webhooks.book import WebhookBook, WebhookChanges
from services.notifier.webhooks.targets import TargetRefused, check_target, is_public

ALICE, BOB = "alice-id", "bob-id"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Migrated as the service does: a SQLite file, or the `notifier` schema of a shared
    PostgreSQL database."""
    configured = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    url = service_database_url(configured, tmp_path, "notifier")
    upgrade_schema(url, MIGRATIONS, "alembic_version_notifier")
    db = Database(url)
    yield db
    await db.dispose()


@pytest.fixture
def book(database: Database) -> WebhookBook:
    return WebhookBook(database, allow_private_targets=True)


async def test_a_created_webhook_has_a_standard_webhooks_secret_that_signs(
    book: WebhookBook,
) -> None:
    row = await book.create(ALICE, WebhookChanges(url="http://127.0.0.1:9/hook"))
    assert row.secret.startswith("whsec_")
    assert row.event_types == ["document.completed", "document.failed"]
    signer = Webhook(row.secret)
    now = datetime.now(UTC)
    signature = signer.sign("msg_1", now, '{"a":1}')
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert signer.verify('{"a":1}', headers) == {"a": 1}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "WEBHOOK_URL_MISSING"),
        ("ftp://example.com/hook", "WEBHOOK_URL_INVALID"),
        ("https:///no-host", "WEBHOOK_URL_INVALID"),
        ("https://user:pw@example.com/hook", "WEBHOOK_URL_INVALID"),
        ("https://example.com:99999/hook", "WEBHOOK_URL_INVALID"),
    ],
)
async def test_a_url_that_is_not_http_is_refused_with_its_reason(
    book: WebhookBook, url: str, reason: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await book.create(ALICE, WebhookChanges(url=url))
    assert caught.value.reason == reason


async def test_unknown_events_and_long_descriptions_are_refused(book: WebhookBook) -> None:
    with pytest.raises(InvalidArgument) as unknown:
        await book.create(ALICE, WebhookChanges(url="http://127.0.0.1/h", events=["doc.done"]))
    assert unknown.value.reason == "WEBHOOK_EVENT_UNKNOWN"
    with pytest.raises(InvalidArgument) as long:
        await book.create(ALICE, WebhookChanges(url="http://127.0.0.1/h", description="x" * 501))
    assert long.value.reason == "WEBHOOK_DESCRIPTION_TOO_LONG"


async def test_another_users_webhook_is_not_found_for_every_use(book: WebhookBook) -> None:
    row = await book.create(ALICE, WebhookChanges(url="http://127.0.0.1/h"))
    for attempt in (
        book.get(BOB, row.id),
        book.update(BOB, row.id, WebhookChanges(description="mine"), ["description"]),
        book.delete(BOB, row.id),
        book.rotate_secret(BOB, row.id),
        book.deliveries(BOB, row.id, 10, ""),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert (await book.get(ALICE, row.id)).description == ""
    assert (await book.page(BOB, 10, ""))[0] == []


async def test_update_changes_only_the_masked_fields_and_rotate_replaces_the_secret(
    book: WebhookBook,
) -> None:
    row = await book.create(ALICE, WebhookChanges(url="http://127.0.0.1/h", description="a"))
    updated = await book.update(
        ALICE,
        row.id,
        WebhookChanges(url="http://127.0.0.1/other", events=["document.failed"], description="b"),
        ["events"],
    )
    assert (updated.url, updated.event_types, updated.description) == (
        "http://127.0.0.1/h",
        ["document.failed"],
        "a",
    )
    with pytest.raises(InvalidArgument):
        await book.update(ALICE, row.id, WebhookChanges(), ["secret"])
    rotated = await book.rotate_secret(ALICE, row.id)
    assert rotated.secret != row.secret


async def test_pages_follow_each_other_without_overlap(book: WebhookBook) -> None:
    made = {
        (await book.create(ALICE, WebhookChanges(url=f"http://127.0.0.1/{n}"))).id for n in range(5)
    }
    first, token = await book.page(ALICE, 3, "")
    second, last = await book.page(ALICE, 3, token)
    assert len(first) == 3
    assert len(second) == 2
    assert last == ""
    assert {r.id for r in first + second} == made
    with pytest.raises(InvalidArgument):
        await book.page(ALICE, 3, "not-a-token")


async def test_a_private_target_is_refused_unless_the_setting_allows_it(
    database: Database,
) -> None:
    strict = WebhookBook(database, allow_private_targets=False)
    for url in (
        "http://127.0.0.1:8080/h",
        "http://localhost/h",
        "http://10.1.2.3/h",
        "http://169.254.169.254/latest",
        "http://[::1]/h",
        "http://192.168.0.7/h",
    ):
        with pytest.raises(InvalidArgument) as caught:
            await strict.create(ALICE, WebhookChanges(url=url))
        assert caught.value.reason == "WEBHOOK_TARGET_REFUSED", url
    allowed = WebhookBook(database, allow_private_targets=True)
    assert (await allowed.create(ALICE, WebhookChanges(url="http://127.0.0.1:8080/h"))).id


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
    ],
)
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


async def test_a_host_that_cannot_be_resolved_is_refused() -> None:
    with pytest.raises(TargetRefused):
        await check_target("http://no-such-host.invalid/h", allow_private=False)
