"""Transactional outbox: an event is written in the same transaction as the state change,
and a relay publishes it afterwards. A crash between commit and publish loses nothing; a
crash between publish and delete publishes twice, which `Nats-Msg-Id` dedup absorbs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Protocol

from google.protobuf.message import Message
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.db import Database, UtcDateTime
from services.kernel.jetstream import (
    HEADER_EVENT_ID,
    HEADER_REQUEST_ID,
    HEADER_SOURCE,
    HEADER_TIME,
    HEADER_TYPE,
)
from services.kernel.logs import request_id_var

log = logging.getLogger("speechflow.outbox")


class RawPublisher(Protocol):
    """What the relay needs of the bus (`EventBus`; a fake in the relay's unit tests)."""

    async def publish_raw(self, subject: str, data: bytes, headers: dict[str, str]) -> None: ...


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("create_time", UtcDateTime(), nullable=False),
    )


class Outbox:
    def __init__(self, table: Table, source: str) -> None:
        self._table = table
        self._source = source
        self.wakeup = asyncio.Event()

    async def add(
        self,
        session: AsyncSession,
        subject: str,
        message: Message,
        event_id: str | None = None,
    ) -> str:
        """Queues an event inside the caller's transaction."""
        event_id = event_id or uuid.uuid4().hex
        now = datetime.now(UTC)
        headers = {
            HEADER_EVENT_ID: event_id,
            HEADER_TYPE: subject,
            HEADER_SOURCE: self._source,
            HEADER_TIME: now.isoformat(),
            HEADER_REQUEST_ID: request_id_var.get() or event_id,
        }
        await session.execute(
            insert(self._table).values(
                event_id=event_id,
                subject=subject,
                payload=message.SerializeToString(),
                headers=headers,
                create_time=now,
            )
        )
        return event_id

    def notify(self) -> None:
        """Call after commit so the relay publishes now instead of at its next poll."""
        self.wakeup.set()

    async def relay_once(self, db: Database, bus: RawPublisher, batch: int = 100) -> int:
        async with db.session() as session:
            rows = (
                await session.execute(select(self._table).order_by(self._table.c.seq).limit(batch))
            ).all()
        for row in rows:
            await bus.publish_raw(row.subject, row.payload, dict(row.headers))
            async with db.session() as session:
                await session.execute(delete(self._table).where(self._table.c.seq == row.seq))
        return len(rows)

    async def run_relay(self, db: Database, bus: RawPublisher, poll_seconds: float = 1.0) -> None:
        while True:
            try:
                while await self.relay_once(db, bus):
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox relay failed; will retry", exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_seconds):
                    await self.wakeup.wait()
            self.wakeup.clear()
