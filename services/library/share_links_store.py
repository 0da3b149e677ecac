"""The share_links table (migration 0008): one row per link, its token only as a hash; and
the SQL of the share-link RPCs.

Rows go with their document (ON DELETE CASCADE), so deleting a document, or the account
that owns it, ends every link to it in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from services.kernel.db import UtcDateTime
from services.kernel.newest_first import all_newest_first
from services.library.row_store import SqlRows
from services.library.store import Base, DeletedUserRow, DocumentRow, new_id

# Recording last_use_time on every read would write on every page view; once a minute says
# enough about whether a link is used.
LAST_USE_RESOLUTION = timedelta(minutes=1)


class ShareLinkRow(Base):
    __tablename__ = "share_links"
    __table_args__ = (Index("ix_share_links_document_created", "document_id", "create_time"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    # SHA-256 of the token, hex (share_links.token_hash).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_use_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class SqlShareLinks(SqlRows[ShareLinkRow]):
    model = ShareLinkRow

    async def create(
        self, document_id: str, owner_id: str, token_hash: str, now: datetime, ttl: timedelta
    ) -> ShareLinkRow:
        return await self.add(
            ShareLinkRow(
                document_id=document_id,
                owner_id=owner_id,
                token_hash=token_hash,
                create_time=now,
                expire_time=now + ttl,
                revoked=False,
            )
        )

    async def of_document(self, document_id: str) -> list[ShareLinkRow]:
        """A document's links, newest first."""
        return await all_newest_first(
            self._db, ShareLinkRow, ShareLinkRow.document_id == document_id
        )

    async def revoke(self, link_id: str, owner_id: str) -> ShareLinkRow | None:
        """The revoked link, or None if `owner_id` has no link `link_id`."""
        async with self._db.session() as session:
            row = await session.get(ShareLinkRow, link_id)
            if row is None or row.owner_id != owner_id:
                return None
            row.revoked = True
        return row

    async def live(self, token_hash: str, now: datetime) -> tuple[ShareLinkRow, DocumentRow] | None:
        """The unrevoked, unexpired link of `token_hash` and its document (its use noted), or
        None: no such link, or its document or the owner's account is gone."""
        async with self._db.session() as session:
            link = await session.scalar(
                select(ShareLinkRow).where(ShareLinkRow.token_hash == token_hash)
            )
            if link is None or link.revoked or link.expire_time <= now:
                return None
            document = await session.get(DocumentRow, link.document_id)
            if document is None:
                return None
            # The owner's account was deleted and its documents are being removed.
            if await session.get(DeletedUserRow, document.owner_id) is not None:
                return None
            if link.last_use_time is None or now - link.last_use_time >= LAST_USE_RESOLUTION:
                link.last_use_time = now
        return link, document
