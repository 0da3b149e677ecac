"""OIDC's tables: sign-ins under way (so any auth replica can finish one) and the provider
identities linked to accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.auth.store import Base
from services.kernel.db import UtcDateTime
from services.kernel.row_ids import uuid_primary_key


class OidcSignInRow(Base):
    """A started sign-in, keyed by the SHA-256 of its state (the state itself travels through
    the browser); deleted when it is finished, so each state works once."""

    __tablename__ = "oidc_sign_ins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class OidcIdentityRow(Base):
    """An account at a provider (issuer + subject) that signs in as one of our users."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[str] = uuid_primary_key()
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())


class OidcStore:
    """Queries over one session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: OidcSignInRow | OidcIdentityRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def take_sign_in(self, state_hash: str) -> OidcSignInRow | None:
        """The sign-in of that state, deleted in the same step: of two concurrent finishes
        with one state, only the one whose delete removed the row gets it."""
        row = await self.session.get(OidcSignInRow, state_hash)
        if row is None:
            return None
        result = await self.session.execute(
            delete(OidcSignInRow).where(OidcSignInRow.state_hash == state_hash)
        )
        return row if result.rowcount else None  # type: ignore[attr-defined]

    async def forget_sign_ins_before(self, cutoff: datetime) -> None:
        """Sign-ins abandoned at the provider."""
        await self.session.execute(delete(OidcSignInRow).where(OidcSignInRow.expire_time < cutoff))

    async def identity(self, issuer: str, subject: str) -> OidcIdentityRow | None:
        return await self.session.scalar(
            select(OidcIdentityRow).where(
                OidcIdentityRow.issuer == issuer, OidcIdentityRow.subject == subject
            )
        )
