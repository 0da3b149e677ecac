"""One signed delivery attempt against a real HTTP receiver on loopback: signed the Standard
Webhooks way, private targets re-checked at send time, redirects not followed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from standardwebhooks import Webhook

from services.notifier.webhooks.book import new_secret
from services.notifier.webhooks.delivery import WebhookSender
from tests.notifier.stand_in_webhook_receiver import StandInReceiver, stand_in_receiver

BODY = '{"type":"document.completed","timestamp":"2026-12-01T00:00:00+00:00","data":{}}'


@pytest.fixture
def receiver() -> Iterator[StandInReceiver]:
    with stand_in_receiver() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, follow_redirects=False, trust_env=False) as running:
        yield running


async def test_a_delivery_is_signed_with_the_webhooks_secret(
    receiver: StandInReceiver, client: httpx.AsyncClient
) -> None:
    secret = new_secret()
    sender = WebhookSender(client, allow_private_targets=True)
    result = await sender.send(receiver.url("signed"), secret, "msg_1", BODY)
    assert (result.succeeded, result.response_code, result.error) == (True, 200, "")
    [received] = receiver.deliveries_to("signed")
    assert received.headers["webhook-id"] == "msg_1"
    assert received.headers["content-type"] == "application/json"
    assert Webhook(secret).verify(received.body, received.headers)["type"] == "document.completed"
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(received.body, received.headers)


async def test_a_target_that_now_resolves_to_loopback_is_not_called(
    receiver: StandInReceiver, client: httpx.AsyncClient
) -> None:
    """The webhook was accepted earlier (or its name has moved since: DNS rebinding); the
    attempt checks again and refuses."""
    sender = WebhookSender(client, allow_private_targets=False)
    result = await sender.send(receiver.url("rebound"), new_secret(), "msg_2", BODY)
    assert not result.succeeded
    assert "loopback, private or link-local" in result.error
    assert receiver.deliveries_to("rebound") == []


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    receiver: StandInReceiver, client: httpx.AsyncClient
) -> None:
    receiver.answer_first("moved", 302)
    sender = WebhookSender(client, allow_private_targets=True)
    result = await sender.send(receiver.url("moved"), new_secret(), "msg_3", BODY)
    assert (result.succeeded, result.response_code) == (False, 302)
    assert "redirect" in result.error
    assert len(receiver.deliveries_to("moved")) == 1


async def test_an_error_answer_is_reported_with_its_code(
    receiver: StandInReceiver, client: httpx.AsyncClient
) -> None:
    receiver.answer_first("broken", 503)
    sender = WebhookSender(client, allow_private_targets=True)
    result = await sender.send(receiver.url("broken"), new_secret(), "msg_4", BODY)
    assert (result.succeeded, result.response_code) == (False, 503)
    assert "503" in result.error
