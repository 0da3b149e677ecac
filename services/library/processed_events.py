"""Retention of `processed_events`, the ids of the events the library has applied (so a
redelivered event changes nothing). An id is kept as long as JetStream could still deliver
its event again and then forgotten, in small batches, by a periodic sweep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from services.kernel.catalogue import AUTH, STAGE_SERVICES
from services.kernel.db import Database
from services.kernel.jetstream import producer_stream
from services.library.store import ProcessedEventRow

log = logging.getLogger("speechflow.library")

# Every stream the library reads keeps a message for its max age; after that no delivery
# of the event is possible, not even by a recreated consumer replaying its stream from the
# start (deliver policy ALL). A day more covers clocks that disagree.
RETENTION = timedelta(
    seconds=max(producer_stream(p).max_age_seconds for p in (*STAGE_SERVICES, AUTH))
) + timedelta(days=1)
SWEEP_SECONDS = 3600.0
# One short transaction per batch, so a sweep never holds the table for long; a backlog
# larger than one run's share (after a long outage) is finished by the next runs.
BATCH = 500
MAX_BATCHES_PER_RUN = 20


async def forget_processed_events(
    db: Database,
    *,
    before: datetime,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES_PER_RUN,
) -> int:
    """Deletes the ids of events applied before `before`, oldest first, at most
    `batch * max_batches` of them; returns how many went."""
    removed = 0
    for _ in range(max_batches):
        async with db.session() as session:
            ids = list(
                await session.scalars(
                    select(ProcessedEventRow.event_id)
                    .where(ProcessedEventRow.time < before)
                    .order_by(ProcessedEventRow.time)
                    .limit(batch)
                )
            )
            if ids:
                await session.execute(
                    delete(ProcessedEventRow).where(ProcessedEventRow.event_id.in_(ids))
                )
        removed += len(ids)
        if len(ids) < batch:
            break
    return removed


async def sweep_processed_events(
    db: Database,
    *,
    every: float = SWEEP_SECONDS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Runs for the life of the service: forgets what is older than `RETENTION`."""
    while True:
        try:
            removed = await forget_processed_events(db, before=clock() - RETENTION)
            if removed:
                log.info("old processed event ids forgotten", extra={"count": removed})
        except Exception:  # the next run tries again; applying events goes on meanwhile
            log.warning("forgetting old processed event ids failed", exc_info=True)
        await asyncio.sleep(every)
