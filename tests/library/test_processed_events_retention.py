"""Retention of the library's applied-event ids on a real SQLite file: ids older than the
streams could redeliver are forgotten in bounded batches; recent ones stay, so a
redelivered event is still recognised."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from sqlalchemy import inspect, select

from services.kernel.catalogue import AUTH, STAGE_SERVICES
from services.kernel.db import Database, sqlite_url_in, upgrade_schema
from services.kernel.jetstream import producer_stream
from services.library.app import MIGRATIONS
from services.library.processed_events import RETENTION, forget_processed_events
from services.library.store import ProcessedEventRow

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HORIZON = NOW - RETENTION


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = sqlite_url_in(tmp_path, "library")
    await asyncio.to_thread(upgrade_schema, url, MIGRATIONS, "alembic_version_library")
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()


async def applied(db: Database, *events: tuple[str, datetime]) -> None:
    async with db.session() as session:
        for event_id, time in events:
            session.add(ProcessedEventRow(event_id=event_id, subject="s", time=time))


async def remembered(db: Database) -> list[str]:
    async with db.session() as session:
        return sorted(await session.scalars(select(ProcessedEventRow.event_id)))


async def test_ids_older_than_the_horizon_are_forgotten_and_recent_ones_kept(
    db: Database,
) -> None:
    await applied(
        db,
        ("expired", HORIZON - timedelta(seconds=1)),
        ("long-expired", HORIZON - timedelta(days=30)),
        ("recent", HORIZON + timedelta(seconds=1)),
        ("today", NOW),
    )

    removed = await forget_processed_events(db, before=HORIZON)

    assert removed == 2
    assert await remembered(db) == ["recent", "today"]


async def test_one_run_forgets_at_most_its_share_oldest_first_and_the_next_run_the_rest(
    db: Database,
) -> None:
    await applied(
        db, *((f"old-{n}", HORIZON - timedelta(hours=10 - n)) for n in range(5)), ("new", NOW)
    )

    assert await forget_processed_events(db, before=HORIZON, batch=2, max_batches=2) == 4
    assert await remembered(db) == ["new", "old-4"]

    assert await forget_processed_events(db, before=HORIZON, batch=2, max_batches=2) == 1
    assert await remembered(db) == ["new"]


async def test_nothing_to_forget_removes_nothing(db: Database) -> None:
    await applied(db, ("today", NOW))

    assert await forget_processed_events(db, before=HORIZON) == 0
    assert await remembered(db) == ["today"]


def test_an_id_is_kept_longer_than_any_stream_the_library_reads_keeps_its_events() -> None:
    for producer in (*STAGE_SERVICES, AUTH):
        assert timedelta(seconds=producer_stream(producer).max_age_seconds) < RETENTION


async def test_the_sweep_reads_processed_events_by_time_through_an_index(db: Database) -> None:
    async with db.engine.connect() as connection:
        indexes = await connection.run_sync(
            lambda sync: inspect(sync).get_indexes("processed_events")
        )
    assert [index["column_names"] for index in indexes] == [["time"]]
