"""ResendSender against a local stand-in of Resend's HTTP API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.notifier.email import (
    Email,
    OutboxSender,
    PermanentEmailError,
    ResendSender,
    TransientEmailError,
    completion_email,
    sender_from_settings,
)
from tests.notifier.email_contexts import email_context
from tests.notifier.stand_in_resend_server import StandInResend, running_stand_in_resend

FROM = "SpeechFlow <noreply@speechflow.example>"
API_KEY = "re_test_key_123"


@pytest.fixture
def resend_api() -> Iterator[StandInResend]:
    with running_stand_in_resend() as stand_in:
        yield stand_in


@pytest.fixture
def email() -> Email:
    return completion_email(email_context(document_title="Réunion <budget>"))


@pytest.mark.asyncio
async def test_resend_sender_posts_the_email_with_key_and_idempotency_key(
    resend_api: StandInResend, email: Email
) -> None:
    sender = ResendSender(API_KEY, FROM, api_url=resend_api.url)

    message_id = await sender.send(email, "evt-123")

    assert message_id == "email-1"
    [request] = resend_api.requests
    assert request.path == "/emails"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["idempotency-key"] == "evt-123"
    assert request.body["from"] == FROM
    assert request.body["to"] == ["Ada Lovelace <ada@example.com>"]
    assert request.body["subject"] == email.subject
    assert request.body["html"] == email.html
    assert request.body["text"] == email.text
    assert request.body["headers"]["Auto-Submitted"] == "auto-generated"


@pytest.mark.asyncio
async def test_api_url_with_trailing_slash_reaches_the_same_route(
    resend_api: StandInResend, email: Email
) -> None:
    await ResendSender(API_KEY, FROM, api_url=resend_api.url + "/").send(email, "evt-1")

    assert [request.path for request in resend_api.requests] == ["/emails"]


@pytest.mark.asyncio
async def test_two_senders_with_different_keys_each_use_their_own(
    resend_api: StandInResend, email: Email
) -> None:
    await ResendSender("re_first", FROM, api_url=resend_api.url).send(email, "evt-1")
    await ResendSender("re_second", FROM, api_url=resend_api.url).send(email, "evt-2")

    assert [request.headers["authorization"] for request in resend_api.requests] == [
        "Bearer re_first",
        "Bearer re_second",
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [429, 500, 503, 409])
async def test_rate_limits_outages_and_in_flight_duplicates_are_transient(
    resend_api: StandInResend, email: Email, status: int
) -> None:
    resend_api.status = status
    sender = ResendSender(API_KEY, FROM, api_url=resend_api.url)

    with pytest.raises(TransientEmailError) as caught:
        await sender.send(email, "evt-1")

    assert caught.value.status == status


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [422, 400, 403])
async def test_rejected_emails_are_permanent(
    resend_api: StandInResend, email: Email, status: int
) -> None:
    resend_api.status = status
    sender = ResendSender(API_KEY, FROM, api_url=resend_api.url)

    with pytest.raises(PermanentEmailError) as caught:
        await sender.send(email, "evt-1")

    assert caught.value.status == status


@pytest.mark.asyncio
async def test_unreachable_api_is_transient(email: Email) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = ResendSender(API_KEY, FROM, api_url=f"http://127.0.0.1:{port}")

    with pytest.raises(TransientEmailError):
        await sender.send(email, "evt-1")


def test_factory_picks_resend_when_an_api_key_is_set(tmp_path: Path) -> None:
    sender = sender_from_settings("re_live", "http://127.0.0.1:1", FROM, tmp_path)

    assert isinstance(sender, ResendSender)


@pytest.mark.parametrize("key", [None, "", "   "])
def test_factory_falls_back_to_the_outbox_without_an_api_key(
    tmp_path: Path, key: str | None
) -> None:
    sender = sender_from_settings(key, None, FROM, tmp_path)

    assert isinstance(sender, OutboxSender)
