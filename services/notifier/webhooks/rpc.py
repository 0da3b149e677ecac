"""The webhook RPCs of NotifierService: proto <-> WebhookBook, nothing else."""

from __future__ import annotations

from typing import Any

from services.kernel.tokens import current_principal
from services.notifier.webhooks.book import WebhookBook, WebhookChanges
from services.notifier.webhooks.store import DeliveryRow, WebhookRow
from speechflow.notifier.v1 import notifier_pb2 as pb

Context = Any


def webhook_message(row: WebhookRow, *, with_secret: bool = False) -> pb.Webhook:
    message = pb.Webhook(
        id=row.id,
        url=row.url,
        events=row.event_types,
        description=row.description,
        enabled=row.enabled,
        secret=row.secret if with_secret else "",
    )
    message.create_time.FromDatetime(row.create_time)
    message.update_time.FromDatetime(row.update_time)
    return message


def delivery_message(row: DeliveryRow) -> pb.WebhookDelivery:
    message = pb.WebhookDelivery(
        id=row.id,
        event_type=row.event_type,
        document_id=row.document_id,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        response_code=row.response_code,
        error=row.error,
    )
    message.create_time.FromDatetime(row.create_time)
    if row.last_attempt_time is not None:
        message.last_attempt_time.FromDatetime(row.last_attempt_time)
    return message


def changes_of(webhook: pb.Webhook) -> WebhookChanges:
    return WebhookChanges(
        url=webhook.url,
        events=list(webhook.events),
        description=webhook.description,
        enabled=webhook.enabled,
    )


class WebhookRpcs:
    """Mixed into the NotifierService servicer; every call acts for its authenticated caller."""

    def __init__(self, book: WebhookBook) -> None:
        self._book = book

    async def CreateWebhook(
        self, request: pb.CreateWebhookRequest, context: Context
    ) -> pb.CreateWebhookResponse:
        changes = changes_of(request.webhook)
        # A new webhook is enabled unless the caller says otherwise (proto3 cannot tell an
        # unset `enabled` from false, so create ignores it).
        row = await self._book.create(
            current_principal().user_id,
            WebhookChanges(url=changes.url, events=changes.events, description=changes.description),
        )
        return pb.CreateWebhookResponse(webhook=webhook_message(row, with_secret=True))

    async def ListWebhooks(
        self, request: pb.ListWebhooksRequest, context: Context
    ) -> pb.ListWebhooksResponse:
        rows, token = await self._book.page(
            current_principal().user_id, request.page_size, request.page_token
        )
        return pb.ListWebhooksResponse(
            webhooks=[webhook_message(r) for r in rows], next_page_token=token
        )

    async def GetWebhook(
        self, request: pb.GetWebhookRequest, context: Context
    ) -> pb.GetWebhookResponse:
        row = await self._book.get(current_principal().user_id, request.webhook_id)
        return pb.GetWebhookResponse(webhook=webhook_message(row))

    async def UpdateWebhook(
        self, request: pb.UpdateWebhookRequest, context: Context
    ) -> pb.UpdateWebhookResponse:
        row = await self._book.update(
            current_principal().user_id,
            request.webhook.id,
            changes_of(request.webhook),
            list(request.update_mask.paths),
        )
        return pb.UpdateWebhookResponse(webhook=webhook_message(row))

    async def DeleteWebhook(
        self, request: pb.DeleteWebhookRequest, context: Context
    ) -> pb.DeleteWebhookResponse:
        await self._book.delete(current_principal().user_id, request.webhook_id)
        return pb.DeleteWebhookResponse()

    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: Context
    ) -> pb.RotateWebhookSecretResponse:
        row = await self._book.rotate_secret(current_principal().user_id, request.webhook_id)
        return pb.RotateWebhookSecretResponse(webhook=webhook_message(row, with_secret=True))

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        rows, token = await self._book.deliveries(
            current_principal().user_id, request.webhook_id, request.page_size, request.page_token
        )
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[delivery_message(r) for r in rows], next_page_token=token
        )
