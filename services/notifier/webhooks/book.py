"""The webhook use cases over the notifier's database: each user manages only their own
endpoints (another user's is NOT_FOUND, so ids cannot be probed)."""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.db import Database
from services.kernel.errors import InvalidArgument, NotFound
from services.notifier.webhooks.store import DeliveryRow, WebhookRow
from services.notifier.webhooks.targets import TargetRefused, check_target, check_url_shape

DOCUMENT_COMPLETED = "document.completed"
DOCUMENT_FAILED = "document.failed"
EVENT_TYPES = (DOCUMENT_COMPLETED, DOCUMENT_FAILED)
MAX_DESCRIPTION_LENGTH = 500
MAX_WEBHOOKS_PER_USER = 20
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Standard Webhooks secrets: `whsec_` and base64 of 24 to 64 random bytes.
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
UPDATABLE_FIELDS = frozenset({"url", "events", "description", "enabled"})
Row = TypeVar("Row")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True)
class WebhookChanges:
    """What a create or an update asks for; None leaves a field as it is."""

    url: str | None = None
    events: Sequence[str] | None = None
    description: str | None = None
    enabled: bool | None = None


def checked_events(events: Sequence[str]) -> str:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidArgument(
            f"Unknown webhook event {', '.join(unknown)}: use {' or '.join(EVENT_TYPES)}.",
            reason="WEBHOOK_EVENT_UNKNOWN",
        )
    chosen = [e for e in EVENT_TYPES if e in events] or list(EVENT_TYPES)
    return " ".join(chosen)


def checked_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            f"The description is longer than {MAX_DESCRIPTION_LENGTH} characters.",
            reason="WEBHOOK_DESCRIPTION_TOO_LONG",
        )
    return description


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative.", reason="PAGE_SIZE_INVALID")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def decode_offset(token: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("o"):
            raise ValueError(text)
        offset = int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidArgument(
            "page_token is not one this server gave.", reason="PAGE_TOKEN_INVALID"
        ) from exc
    if offset < 0:
        raise InvalidArgument(
            "page_token is not one this server gave.", reason="PAGE_TOKEN_INVALID"
        )
    return offset


class WebhookBook:
    def __init__(self, db: Database, *, allow_private_targets: bool) -> None:
        self._db = db
        self._allow_private = allow_private_targets

    async def create(self, owner_id: str, changes: WebhookChanges) -> WebhookRow:
        url = await self._checked_url(changes.url or "")
        now = datetime.now(UTC)
        row = WebhookRow(
            id=str(uuid.uuid4()),
            owner_id=owner_id,
            url=url,
            events=checked_events(changes.events or ()),
            description=checked_description(changes.description or ""),
            secret=new_secret(),
            enabled=True if changes.enabled is None else changes.enabled,
            create_time=now,
            update_time=now,
        )
        async with self._db.session() as session:
            count = len(
                (
                    await session.scalars(
                        select(WebhookRow.id).where(WebhookRow.owner_id == owner_id)
                    )
                ).all()
            )
            if count >= MAX_WEBHOOKS_PER_USER:
                raise InvalidArgument(
                    f"You have {MAX_WEBHOOKS_PER_USER} webhooks already; delete one first.",
                    reason="WEBHOOK_LIMIT_REACHED",
                )
            session.add(row)
        return row

    async def page(self, owner_id: str, size: int, token: str) -> tuple[list[WebhookRow], str]:
        query = (
            select(WebhookRow)
            .where(WebhookRow.owner_id == owner_id)
            .order_by(WebhookRow.create_time.desc(), WebhookRow.id)
        )
        async with self._db.session() as session:
            return await _one_page(session, query, size, token)

    async def get(self, owner_id: str, webhook_id: str) -> WebhookRow:
        async with self._db.session() as session:
            return await _owned(session, owner_id, webhook_id)

    async def update(
        self, owner_id: str, webhook_id: str, changes: WebhookChanges, paths: Sequence[str]
    ) -> WebhookRow:
        unknown = sorted(set(paths) - UPDATABLE_FIELDS)
        if not paths or unknown:
            raise InvalidArgument(
                "update_mask must name fields to change among "
                f"{', '.join(sorted(UPDATABLE_FIELDS))}"
                + (f" (not {', '.join(unknown)})." if unknown else "."),
                reason="UPDATE_MASK_INVALID",
            )
        url = await self._checked_url(changes.url or "") if "url" in paths else None
        async with self._db.session() as session:
            row = await _owned(session, owner_id, webhook_id)
            if url is not None:
                row.url = url
            if "events" in paths:
                row.events = checked_events(changes.events or ())
            if "description" in paths:
                row.description = checked_description(changes.description or "")
            if "enabled" in paths:
                row.enabled = bool(changes.enabled)
            row.update_time = datetime.now(UTC)
        return row

    async def delete(self, owner_id: str, webhook_id: str) -> None:
        async with self._db.session() as session:
            row = await _owned(session, owner_id, webhook_id)
            await session.execute(delete(DeliveryRow).where(DeliveryRow.webhook_id == row.id))
            await session.delete(row)

    async def rotate_secret(self, owner_id: str, webhook_id: str) -> WebhookRow:
        async with self._db.session() as session:
            row = await _owned(session, owner_id, webhook_id)
            row.secret = new_secret()
            row.update_time = datetime.now(UTC)
        return row

    async def deliveries(
        self, owner_id: str, webhook_id: str, size: int, token: str
    ) -> tuple[list[DeliveryRow], str]:
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.webhook_id == webhook_id)
            .order_by(DeliveryRow.create_time.desc(), DeliveryRow.id)
        )
        async with self._db.session() as session:
            await _owned(session, owner_id, webhook_id)
            return await _one_page(session, query, size, token)

    async def forget_owner(self, owner_id: str) -> None:
        """An account was deleted: its webhooks and their history go with it."""
        async with self._db.session() as session:
            ids = select(WebhookRow.id).where(WebhookRow.owner_id == owner_id)
            await session.execute(delete(DeliveryRow).where(DeliveryRow.webhook_id.in_(ids)))
            await session.execute(delete(WebhookRow).where(WebhookRow.owner_id == owner_id))

    async def _checked_url(self, url: str) -> str:
        url = check_url_shape(url)
        try:
            await check_target(url, allow_private=self._allow_private)
        except TargetRefused as exc:
            raise InvalidArgument(
                f"This webhook URL is not allowed: {exc}.", reason="WEBHOOK_TARGET_REFUSED"
            ) from exc
        return url


async def _one_page(
    session: AsyncSession, query: Select[Row], size: int, token: str
) -> tuple[list[Row], str]:
    """One page of `query` (ordered newest first) and the token of the next, if any."""
    limit, offset = page_size(size), decode_offset(token)
    rows = list(await session.scalars(query.offset(offset).limit(limit + 1)))
    more = len(rows) > limit
    return rows[:limit], encode_offset(offset + limit) if more else ""


async def _owned(session: AsyncSession, owner_id: str, webhook_id: str) -> WebhookRow:
    row = await session.get(WebhookRow, webhook_id) if webhook_id else None
    if row is None or row.owner_id != owner_id:
        raise NotFound("No such webhook.", reason="WEBHOOK_NOT_FOUND")
    return row
