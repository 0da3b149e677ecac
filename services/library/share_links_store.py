"""The share_links table (migration 0008): one row per link, its token only as a hash.

Rows go with their document (ON DELETE CASCADE), so deleting a document, or the account
that owns it, ends every link to it in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.kernel.db import UtcDateTime
from services.library.store import Base, new_id


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
