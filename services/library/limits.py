"""Per-user abuse limits: storage quota, concurrent jobs, upload and regenerate rates.

Each limit is checked twice: early, so a client learns before sending gigabytes, and again in
the transaction that commits what the limit is about (a document and its job, or an upload
session), with that owner's concurrent commits made to take turns. Only the second check is
binding: fourteen parallel uploads all pass the early check against a limit of ten."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.db import Database
from services.kernel.errors import ResourceExhausted
from services.library.domain import Status, human_bytes
from services.library.store import DocumentRow, JobRow, UploadSessionRow

WINDOW = timedelta(hours=1)
# Namespaces the PostgreSQL advisory lock keys of this service.
OWNER_LOCK_PREFIX = "speechflow.library.owner:"


@dataclass(frozen=True)
class Limits:
    storage_quota_bytes: int
    max_concurrent_jobs: int
    uploads_per_hour: int
    regenerations_per_hour: int


@dataclass(frozen=True)
class Usage:
    stored_bytes: int  # documents plus the declared size of open resumable sessions
    running_jobs: int
    recent_uploads: list[datetime]


def _rate_limited(
    what: str, limit: int, oldest: datetime | None, now: datetime
) -> ResourceExhausted:
    retry_after = max(1, math.ceil(((oldest or now) + WINDOW - now).total_seconds()))
    return ResourceExhausted(
        f"You can {what} {limit} times per hour; try again in {math.ceil(retry_after / 60)} min.",
        reason="RATE_LIMITED",
        metadata={"retry_after_seconds": str(retry_after), "limit": str(limit)},
    )


async def take_owner_turn(session: AsyncSession, owner_id: str) -> None:
    """Makes this transaction the only one of `owner_id` that counts and commits until it ends.

    Must be the transaction's first statement. PostgreSQL: a transaction-scoped advisory lock
    keyed by the owner, so other users never wait. SQLite has one writer at a time anyway; a
    write that changes nothing takes the database write lock now, before counting. (A deferred
    SQLite transaction that read first could not upgrade to writing once another writer had
    committed, and would fail with "database is locked".)"""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": OWNER_LOCK_PREFIX + owner_id},
        )
    else:
        await session.execute(
            text("UPDATE upload_sessions SET owner_id = owner_id WHERE owner_id = :owner AND 0"),
            {"owner": owner_id},
        )


class LimitGuard:
    def __init__(self, db: Database, limits: Limits) -> None:
        self._db = db
        self.limits = limits

    async def check_upload(self, user_id: str, incoming_bytes: int) -> None:
        """The early check, before any bytes are received."""
        async with self._db.session() as session:
            usage = await self._usage(session, user_id, datetime.now(UTC))
        self._check_quota(usage, incoming_bytes)
        self._check_jobs_and_rate(usage)

    async def admit_document(
        self,
        session: AsyncSession,
        user_id: str,
        incoming_bytes: int,
        *,
        finishing_session_id: str | None = None,
    ) -> None:
        """The binding check inside the transaction that inserts a document and its job; the
        resumable session being finished is not counted twice."""
        await take_owner_turn(session, user_id)
        usage = await self._usage(
            session, user_id, datetime.now(UTC), excluding_session=finishing_session_id
        )
        self._check_quota(usage, incoming_bytes)
        self._check_jobs_and_rate(usage)

    async def admit_upload_session(
        self, session: AsyncSession, user_id: str, declared_bytes: int
    ) -> None:
        """The binding quota check inside the transaction that opens a resumable session: its
        declared size counts against the quota from now on, bytes received or not."""
        await take_owner_turn(session, user_id)
        self._check_quota(await self._usage(session, user_id, datetime.now(UTC)), declared_bytes)

    async def _usage(
        self,
        session: AsyncSession,
        user_id: str,
        now: datetime,
        *,
        excluding_session: str | None = None,
    ) -> Usage:
        documents = await session.scalar(
            select(func.coalesce(func.sum(DocumentRow.size_bytes), 0)).where(
                DocumentRow.owner_id == user_id
            )
        )
        open_sessions = select(func.coalesce(func.sum(UploadSessionRow.size_bytes), 0)).where(
            UploadSessionRow.owner_id == user_id, UploadSessionRow.expire_time > now
        )
        if excluding_session is not None:
            open_sessions = open_sessions.where(UploadSessionRow.id != excluding_session)
        sessions = await session.scalar(open_sessions)
        running = await session.scalar(
            select(func.count()).where(
                DocumentRow.owner_id == user_id,
                DocumentRow.status == int(Status.PROCESSING),
            )
        )
        recent = list(
            await session.scalars(
                select(DocumentRow.create_time)
                .where(DocumentRow.owner_id == user_id, DocumentRow.create_time > now - WINDOW)
                .order_by(DocumentRow.create_time)
            )
        )
        return Usage(int(documents or 0) + int(sessions or 0), int(running or 0), recent)

    def _check_quota(self, usage: Usage, incoming_bytes: int) -> None:
        quota = self.limits.storage_quota_bytes
        used = usage.stored_bytes
        if used + incoming_bytes > quota:
            raise ResourceExhausted(
                f"Your storage is full: {human_bytes(used)} of {human_bytes(quota)} used "
                "(unfinished uploads included). Delete documents or cancel uploads to make room.",
                reason="STORAGE_QUOTA_EXCEEDED",
                metadata={"used_bytes": str(used), "quota_bytes": str(quota)},
            )

    def _check_jobs_and_rate(self, usage: Usage) -> None:
        if usage.running_jobs >= self.limits.max_concurrent_jobs:
            raise ResourceExhausted(
                f"You already have {usage.running_jobs} recordings processing; "
                "wait for one to finish.",
                reason="TOO_MANY_JOBS",
                metadata={"limit": str(self.limits.max_concurrent_jobs)},
            )
        if len(usage.recent_uploads) >= self.limits.uploads_per_hour:
            raise _rate_limited(
                "upload",
                self.limits.uploads_per_hour,
                usage.recent_uploads[0],
                datetime.now(UTC),
            )

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
