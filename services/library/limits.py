"""Per-user abuse limits: storage quota, concurrent jobs, upload and regenerate rates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.kernel.db import Database
from services.kernel.errors import ResourceExhausted
from services.library.domain import Status, human_bytes
from services.library.store import DocumentRow, JobRow

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    storage_quota_bytes: int
    max_concurrent_jobs: int
    uploads_per_hour: int
    regenerations_per_hour: int


def _rate_limited(
    what: str, limit: int, oldest: datetime | None, now: datetime
) -> ResourceExhausted:
    retry_after = max(1, math.ceil(((oldest or now) + WINDOW - now).total_seconds()))
    return ResourceExhausted(
        f"You can {what} {limit} times per hour; try again in {math.ceil(retry_after / 60)} min.",
        reason="RATE_LIMITED",
        metadata={"retry_after_seconds": str(retry_after), "limit": str(limit)},
    )


class LimitGuard:
    def __init__(self, db: Database, limits: Limits) -> None:
        self._db = db
        self.limits = limits

    async def check_upload(self, user_id: str, incoming_bytes: int) -> None:
        now = datetime.now(UTC)
        async with self._db.session() as session:
            used = int(
                await session.scalar(
                    select(func.coalesce(func.sum(DocumentRow.size_bytes), 0)).where(
                        DocumentRow.owner_id == user_id
                    )
                )
                or 0
            )
            running = int(
                await session.scalar(
                    select(func.count()).where(
                        DocumentRow.owner_id == user_id,
                        DocumentRow.status == int(Status.PROCESSING),
                    )
                )
                or 0
            )
            recent = list(
                await session.scalars(
                    select(DocumentRow.create_time)
                    .where(DocumentRow.owner_id == user_id, DocumentRow.create_time > now - WINDOW)
                    .order_by(DocumentRow.create_time)
                )
            )
        quota = self.limits.storage_quota_bytes
        if used + incoming_bytes > quota:
            raise ResourceExhausted(
                f"Your storage is full: {human_bytes(used)} of {human_bytes(quota)} used. "
                "Delete documents to make room.",
                reason="STORAGE_QUOTA_EXCEEDED",
                metadata={"used_bytes": str(used), "quota_bytes": str(quota)},
            )
        if running >= self.limits.max_concurrent_jobs:
            raise ResourceExhausted(
                f"You already have {running} recordings processing; wait for one to finish.",
                reason="TOO_MANY_JOBS",
                metadata={"limit": str(self.limits.max_concurrent_jobs)},
            )
        if len(recent) >= self.limits.uploads_per_hour:
            raise _rate_limited("upload", self.limits.uploads_per_hour, recent[0], now)

    async def check_regenerate(self, user_id: str) -> None:
        now = datetime.now(UTC)
        async with self._db.session() as session:
            recent = list(
                await session.scalars(
                    select(JobRow.create_time)
                    .where(
                        JobRow.owner_id == user_id,
                        JobRow.version > 1,
                        JobRow.create_time > now - WINDOW,
                    )
                    .order_by(JobRow.create_time)
                )
            )
        if len(recent) >= self.limits.regenerations_per_hour:
            raise _rate_limited("regenerate", self.limits.regenerations_per_hour, recent[0], now)
