"""The transactional outbox and its relay, in process: a real SQLite file, a fake bus (no
NATS). An event leaves only after its transaction committed, survives the bus being down,
and is never published for a transaction that rolled back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import MetaData, func, select

from services.kernel.db import Database, sqlite_url_in
from services.kernel.jetstream import HEADER_EVENT_ID, HEADER_SOURCE, HEADER_TYPE
from services.kernel.outbox import Outbox, outbox_table
from speechflow.events.v1 import events_pb2

SUBJECT = "speechflow.library.v1.document.deleted"
METADATA = MetaData()
OUTBOX = outbox_table(METADATA)


@dataclass
class FakeBus:
    """Publishes into a list; while `down`, every publish fails as a leaderless stream does."""

    published: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    down: bool = False
    refusals: asyncio.Queue[None] = field(default_factory=asyncio.Queue)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def publish_raw(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        if self.down:
            self.refusals.put_nowait(None)
            raise TimeoutError("no stream leader")
        self.published.append((subject, data, headers))
        self.arrived.set()

    def event_ids(self) -> list[str]:
        return [headers[HEADER_EVENT_ID] for _, _, headers in self.published]


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(sqlite_url_in(tmp_path, "outbox"))
    async with database.engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield database
    await database.dispose()


async def relayed_all(db: Database) -> None:
    """Waits for the relay to delete what it published (its step after the bus's ack)."""
    # The delete has no hook to wait on (the relay's own transaction), hence the poll.
    while await queued(db):  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def deleted(document_id: str) -> events_pb2.DocumentDeleted:
    return events_pb2.DocumentDeleted(document_id=document_id)


async def queued(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(OUTBOX))).scalar_one())


async def test_a_committed_event_is_published_with_its_id_and_leaves_the_outbox(
    db: Database,
) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus()
    async with db.session() as session:
        event_id = await outbox.add(session, SUBJECT, deleted("doc-1"), event_id="doc-1-deleted")

    assert await outbox.relay_once(db, bus) == 1

    [(subject, data, headers)] = bus.published
    assert subject == SUBJECT
    assert events_pb2.DocumentDeleted.FromString(data).document_id == "doc-1"
    assert headers[HEADER_EVENT_ID] == event_id == "doc-1-deleted"
    assert headers[HEADER_TYPE] == SUBJECT
    assert headers[HEADER_SOURCE] == "library"
    assert await queued(db) == 0


async def test_an_event_of_an_open_transaction_is_not_published_until_it_commits(
    db: Database,
) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus()
    async with db.session() as session:
        await outbox.add(session, SUBJECT, deleted("doc-1"))
        await session.flush()
        # The relay reads in its own transaction and must not see the uncommitted row.
        assert await outbox.relay_once(db, bus) == 0
    assert bus.published == []

    assert await outbox.relay_once(db, bus) == 1
    assert len(bus.published) == 1


async def test_a_rolled_back_transaction_publishes_nothing(db: Database) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus()

    async def change_that_fails() -> None:
        async with db.session() as session:
            await outbox.add(session, SUBJECT, deleted("doc-1"))
            raise OSError("the state change failed after the event was queued")

    with pytest.raises(OSError, match="state change failed"):
        await change_that_fails()

    assert await outbox.relay_once(db, bus) == 0
    assert bus.published == []
    assert await queued(db) == 0


async def test_events_are_published_in_the_order_they_were_committed(db: Database) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus()
    for number in range(3):
        async with db.session() as session:
            await outbox.add(session, SUBJECT, deleted(f"doc-{number}"), event_id=f"e{number}")

    assert await outbox.relay_once(db, bus) == 3
    assert bus.event_ids() == ["e0", "e1", "e2"]


async def test_an_event_the_bus_refused_stays_queued_and_is_published_later(
    db: Database,
) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus(down=True)
    async with db.session() as session:
        await outbox.add(session, SUBJECT, deleted("doc-1"), event_id="e1")

    with pytest.raises(TimeoutError):
        await outbox.relay_once(db, bus)
    assert await queued(db) == 1

    bus.down = False
    assert await outbox.relay_once(db, bus) == 1
    assert bus.event_ids() == ["e1"]
    assert await queued(db) == 0


async def test_the_relay_keeps_retrying_while_nats_is_down_and_publishes_once_it_is_back(
    db: Database,
) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus(down=True)
    async with db.session() as session:
        await outbox.add(session, SUBJECT, deleted("doc-1"), event_id="e1")
    outbox.notify()

    relay = asyncio.create_task(outbox.run_relay(db, bus, poll_seconds=0.01))
    try:
        async with asyncio.timeout(10):
            for _ in range(3):
                await bus.refusals.get()
        assert bus.published == []
        bus.down = False
        async with asyncio.timeout(10):
            await bus.arrived.wait()
            await relayed_all(db)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    assert bus.event_ids() == ["e1"]
    assert await queued(db) == 0


async def test_notify_after_commit_wakes_the_relay_before_its_next_poll(db: Database) -> None:
    outbox = Outbox(OUTBOX, source="library")
    bus = FakeBus()
    # A poll interval far beyond the test's wait: only the wake-up can publish in time.
    relay = asyncio.create_task(outbox.run_relay(db, bus, poll_seconds=3600))
    try:
        await asyncio.sleep(0)
        async with db.session() as session:
            await outbox.add(session, SUBJECT, deleted("doc-1"), event_id="e1")
        outbox.notify()
        async with asyncio.timeout(10):
            await bus.arrived.wait()
            await relayed_all(db)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    assert bus.event_ids() == ["e1"]
