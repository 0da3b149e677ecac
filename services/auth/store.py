"""Auth's tables and queries (SQLite or PostgreSQL through SQLAlchemy)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.auth.throttle import Counter, Quota
from services.kernel.db import UtcDateTime
from services.kernel.outbox import outbox_table
from services.kernel.row_ids import uuid_primary_key


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = uuid_primary_key()
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[int] = mapped_column(Integer, default=1)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())


class RefreshTokenRow(Base):
    """One link of a rotation chain; every token rotated from one sign-in shares a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = uuid_primary_key()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime())
    used_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoke_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class RateLimitRow(Base):
    """One throttle counter (see services/auth/throttle.py), keyed by `email:<address>`,
    `client:<ip>` or `register:<ip>`; its row lock serializes the attempts on that key."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    last_time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ApiKeyRow(Base):
    """An API key of one user (services/auth/api_keys.py); only its secret's SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = uuid_primary_key()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    last_use_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


OUTBOX = outbox_table(Base.metadata)


class AuthStore:
    """Queries over one session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_email(self, email: str) -> UserRow | None:
        return await self.session.scalar(select(UserRow).where(UserRow.email == email))

    async def user_by_id(self, user_id: str) -> UserRow | None:
        return await self.session.get(UserRow, user_id)

    async def add(self, row: UserRow | RefreshTokenRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def refresh_token(self, token_hash: str) -> RefreshTokenRow | None:
        return await self.session.scalar(
            select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
        )

    async def mark_used(self, token_id: str, now: datetime) -> bool:
        """Marks a token used unless someone else did first (concurrent refresh = reuse)."""
        result = await self.session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.id == token_id, RefreshTokenRow.used_time.is_(None))
            .values(used_time=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self.session.execute(
            update(RefreshTokenRow)
            .where(
                RefreshTokenRow.family_id == family_id,
                RefreshTokenRow.revoke_time.is_(None),
            )
            .values(revoke_time=now)
        )

    async def revoke_user_tokens(self, user_id: str, now: datetime) -> None:
        """Ends every sign-in of the user (all refresh token families)."""
        await self.session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.user_id == user_id, RefreshTokenRow.revoke_time.is_(None))
            .values(revoke_time=now)
        )

    async def lock_counters(self, keys: list[str], now: datetime) -> dict[str, Counter]:
        """Creates missing counters and locks all of them until the transaction ends, in key
        order so two attempts never wait for each other. On SQLite the insert already takes
        the database's write lock (one writer at a time), on PostgreSQL `FOR UPDATE` takes
        the rows' locks; either way the next attempt on a key reads what this one wrote."""
        ordered = sorted(set(keys))
        insert = sqlite_insert if self.session.get_bind().dialect.name == "sqlite" else pg_insert
        for key in ordered:
            await self.session.execute(
                insert(RateLimitRow)
                .values(key=key, count=0, window_start=now, last_time=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
        rows = await self.session.scalars(
            select(RateLimitRow)
            .where(RateLimitRow.key.in_(ordered))
            .order_by(RateLimitRow.key)
            .with_for_update()
        )
        return {row.key: _counter(row) for row in rows}

    async def save_counter(self, key: str, counter: Counter) -> None:
        await self.session.execute(
            update(RateLimitRow)
            .where(RateLimitRow.key == key)
            .values(
                count=counter.count,
                window_start=counter.window_start,
                last_time=counter.last_time,
                blocked_until=counter.blocked_until,
            )
        )

    async def claim_quota(self, key: str, quota: Quota, now: datetime) -> None:
        """Counts one use of `key`'s quota, or raises RESOURCE_EXHAUSTED when it is used up."""
        counter = (await self.lock_counters([key], now))[key]
        await self.save_counter(key, quota.claim(counter, now))

    async def forget_counters_before(self, cutoff: datetime) -> None:
        """Counters of long-gone attempts (unknown emails pile up otherwise)."""
        await self.session.execute(delete(RateLimitRow).where(RateLimitRow.last_time < cutoff))

    async def count_admins(self) -> int:
        return int(await self.session.scalar(select(func.count()).where(UserRow.role == 2)) or 0)


def _counter(row: RateLimitRow) -> Counter:
    return Counter(
        count=row.count,
        window_start=row.window_start,
        last_time=row.last_time,
        blocked_until=row.blocked_until,
    )
