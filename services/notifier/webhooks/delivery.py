"""Webhook deliveries: the library's `document.changed` of a version that reached COMPLETED
or FAILED -> one signed POST to each of its owner's webhooks that asked for that event.

Retries ride on the durable consumer: while any delivery of the event is unanswered, the
handler raises and JetStream redelivers the event after an exponential backoff (its attempt
count is the delivery's); the deliveries that succeeded are not sent again. Each attempt is
recorded with its response code. Redirects are not followed (a redirect could lead to a
target the URL check never saw) and every attempt re-checks where the host resolves."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from standardwebhooks import Webhook

from services.kernel.db import Database
from services.kernel.jetstream import ReceivedEvent, TransientError
from services.kernel.versions import CurrentVersions
from services.notifier.webhooks.book import DOCUMENT_COMPLETED, DOCUMENT_FAILED, WebhookBook
from services.notifier.webhooks.payload import DocumentOutcome, PayloadBuilder, status_name
from services.notifier.webhooks.store import DeliveryRow, WebhookRow
from services.notifier.webhooks.targets import TargetRefused, check_target
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from speechflow.notifier.v1 import notifier_pb2

log = logging.getLogger("speechflow.notifier.webhooks")

PENDING = notifier_pb2.WEBHOOK_DELIVERY_STATUS_PENDING
SUCCEEDED = notifier_pb2.WEBHOOK_DELIVERY_STATUS_SUCCEEDED
FAILED = notifier_pb2.WEBHOOK_DELIVERY_STATUS_FAILED
EVENT_OF_STATUS = {
    library_pb2.DOCUMENT_STATUS_COMPLETED: DOCUMENT_COMPLETED,
    library_pb2.DOCUMENT_STATUS_FAILED: DOCUMENT_FAILED,
}
USER_AGENT = "SpeechFlow-Webhooks/1"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class AttemptResult:
    response_code: int = 0
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return 200 <= self.response_code < 300


def outcome_of(event: ReceivedEvent) -> DocumentOutcome | None:
    """The completion or failure a `document.changed` reports; None for any other change."""
    changed = event.parse(events_pb2.DocumentChanged)
    event_type = EVENT_OF_STATUS.get(changed.status)
    if event_type is None or not changed.document_id:
        return None
    return DocumentOutcome(
        event_type=event_type,
        document_id=changed.document_id,
        owner_id=changed.owner_id,
        version=changed.version,
        status=status_name(changed.status),
        message=changed.message,
        time=changed.update_time.ToDatetime(tzinfo=UTC)
        if changed.HasField("update_time")
        else datetime.now(UTC),
    )


class Sender(Protocol):
    async def send(self, url: str, secret: str, delivery_id: str, body: str) -> AttemptResult: ...


class WebhookSender:
    """One signed POST; never raises for the endpoint's faults, it reports them."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private_targets: bool) -> None:
        self._client = client
        self._allow_private = allow_private_targets

    async def send(self, url: str, secret: str, delivery_id: str, body: str) -> AttemptResult:
        try:
            await check_target(url, allow_private=self._allow_private)
        except TargetRefused as exc:
            return AttemptResult(error=f"Target refused: {exc}")
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(delivery_id, now, body),
        }
        try:
            response = await self._client.post(url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return AttemptResult(error="The endpoint did not answer in time.")
        except httpx.HTTPError as exc:
            return AttemptResult(error=f"Could not reach the endpoint: {exc}"[:MAX_ERROR_LENGTH])
        if 200 <= response.status_code < 300:
            return AttemptResult(response.status_code)
        if response.is_redirect:
            return AttemptResult(
                response.status_code, "The endpoint answered with a redirect (not followed)."
            )
        return AttemptResult(response.status_code, f"The endpoint answered {response.status_code}.")


@dataclass(frozen=True, kw_only=True, eq=False)
class WebhookDeliveries:
    """Delivers each completion or failure to the webhooks that asked for it (see above)."""

    db: Database
    sender: Sender
    payloads: PayloadBuilder
    versions: CurrentVersions
    deleted_accounts: Container[str]
    max_attempts: int

    async def handle(self, event: ReceivedEvent) -> None:
        outcome = outcome_of(event)
        if outcome is None or outcome.owner_id in self.deleted_accounts:
            return
        job = events_pb2.JobContext(document_id=outcome.document_id, version=outcome.version)
        # No webhook about a deleted document or a version already superseded.
        if not await self.versions.still_current(job, before="delivering webhooks"):
            return
        deliveries = await self._deliveries_for(outcome, event.event_id)
        last_attempt = event.attempt >= self.max_attempts
        unanswered = 0
        for delivery, webhook in deliveries:
            result = await self.sender.send(
                webhook.url, webhook.secret, delivery.id, delivery.payload
            )
            await self._record(delivery.id, result, give_up=last_attempt)
            log.info(
                "webhook delivery attempted",
                extra={
                    "webhook_id": webhook.id,
                    "delivery_id": delivery.id,
                    "document_id": outcome.document_id,
                    "event_type": outcome.event_type,
                    "attempt": event.attempt,
                    "response_code": result.response_code,
                    "error": result.error,
                },
            )
            unanswered += not result.succeeded
        if unanswered and not last_attempt:
            raise TransientError(f"{unanswered} webhook deliveries not accepted yet")

    async def _deliveries_for(
        self, outcome: DocumentOutcome, event_id: str
    ) -> Sequence[tuple[DeliveryRow, WebhookRow]]:
        """This event's pending deliveries, made (with their body) for every subscribed
        webhook that has none for this version yet."""
        async with self.db.session() as session:
            webhooks = [
                w
                for w in await session.scalars(
                    select(WebhookRow).where(
                        WebhookRow.owner_id == outcome.owner_id, WebhookRow.enabled.is_(True)
                    )
                )
                # A webhook hears of what happens after it was made, also when the durable
                # consumer replays the stream (a new deployment, a recreated consumer).
                if outcome.event_type in w.event_types and w.create_time <= outcome.time
            ]
            existing = set(
                await session.scalars(
                    select(DeliveryRow.webhook_id).where(
                        DeliveryRow.document_id == outcome.document_id,
                        DeliveryRow.version == outcome.version,
                        DeliveryRow.event_type == outcome.event_type,
                    )
                )
            )
        missing = [w for w in webhooks if w.id not in existing]
        if missing:
            payload = await self.payloads.build(outcome)
            for webhook in missing:
                await self._make_delivery(webhook, outcome, event_id, payload)
        async with self.db.session() as session:
            rows = await session.execute(
                select(DeliveryRow, WebhookRow)
                .join(WebhookRow, WebhookRow.id == DeliveryRow.webhook_id)
                .where(
                    DeliveryRow.trigger_event_id == event_id,
                    DeliveryRow.document_id == outcome.document_id,
                    DeliveryRow.status == PENDING,
                    WebhookRow.enabled.is_(True),
                )
            )
            return [(delivery, webhook) for delivery, webhook in rows]

    async def _make_delivery(
        self, webhook: WebhookRow, outcome: DocumentOutcome, event_id: str, payload: str
    ) -> None:
        try:
            async with self.db.session() as session:
                session.add(
                    DeliveryRow(
                        id=f"msg_{uuid.uuid4().hex}",
                        webhook_id=webhook.id,
                        owner_id=outcome.owner_id,
                        document_id=outcome.document_id,
                        version=outcome.version,
                        event_type=outcome.event_type,
                        trigger_event_id=event_id,
                        payload=payload,
                        status=PENDING,
                        attempts=0,
                        response_code=0,
                        error="",
                        create_time=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            # Another `document.changed` of this version made it first; that one sends it.
            log.debug("delivery already made", extra={"webhook_id": webhook.id})

    async def _record(self, delivery_id: str, result: AttemptResult, *, give_up: bool) -> None:
        async with self.db.session() as session:
            row = await session.get(DeliveryRow, delivery_id)
            if row is None:  # its webhook was deleted meanwhile
                return
            row.attempts += 1
            row.response_code = result.response_code
            row.error = result.error[:MAX_ERROR_LENGTH]
            row.last_attempt_time = datetime.now(UTC)
            if result.succeeded:
                row.status = SUCCEEDED
            elif give_up:
                row.status = FAILED


class AccountDeletions:
    """auth's `user.deleted` -> the account's webhooks and their history are removed."""

    def __init__(self, book: WebhookBook) -> None:
        self._book = book

    async def handle(self, event: ReceivedEvent) -> None:
        deleted = event.parse(events_pb2.UserDeleted)
        if deleted.user_id:
            await self._book.forget_owner(deleted.user_id)
