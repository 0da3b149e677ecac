"""Auth's tables and queries (SQLite or PostgreSQL through SQLAlchemy)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.db import UtcDateTime
from services.kernel.outbox import outbox_table


class Base(DeclarativeBase):
    pass


def _new_id() -> str:
    return str(uuid.uuid4())


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[int] = mapped_column(Integer, default=1)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())


class RefreshTokenRow(Base):
    """One link of a rotation chain; every token rotated from one sign-in shares a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime())
    used_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoke_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LoginFailureRow(Base):
    """A failed sign-in, keyed by `email:<address>` or `ip:<address>` for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime())


OUTBOX = outbox_table(Base.metadata)


class AuthStore:
    """Queries over one session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_email(self, email: str) -> UserRow | None:
        return await self.session.scalar(select(UserRow).where(UserRow.email == email))

    async def user_by_id(self, user_id: str) -> UserRow | None:
        return await self.session.get(UserRow, user_id)

    async def add(self, row: UserRow | RefreshTokenRow | LoginFailureRow) -> None:
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

    async def failures(self, keys: list[str], since: datetime) -> dict[str, list[datetime]]:
        rows = await self.session.execute(
            select(LoginFailureRow.key, LoginFailureRow.time).where(
                LoginFailureRow.key.in_(keys), LoginFailureRow.time > since
            )
        )
        found: dict[str, list[datetime]] = {key: [] for key in keys}
        for key, time in rows:
            found[key].append(time)
        return found

    async def clear_failures(self, key: str) -> None:
        await self.session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == key))

    async def forget_failures_before(self, cutoff: datetime) -> None:
        await self.session.execute(delete(LoginFailureRow).where(LoginFailureRow.time < cutoff))

    async def count_admins(self) -> int:
        return int(await self.session.scalar(select(func.count()).where(UserRow.role == 2)) or 0)
