"""The notifier's tables: each user's webhook endpoints and every delivery made to them.

The signing secret is kept as it is (not hashed, unlike API keys): the notifier needs it to
sign each delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class WebhookRow(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Space-separated event types (`document.completed document.failed`).
    events: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def event_types(self) -> list[str]:
        return self.events.split()


class DeliveryRow(Base):
    """One event for one webhook; its id is the `webhook-id` header of every attempt, so a
    receiver can drop a duplicate. Unique per (webhook, document version, event), so a
    redelivered or repeated `document.changed` never makes a second delivery."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "document_id", "version", "event_type"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[str] = mapped_column(String(36))
    document_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(40))
    # The event that made it; only that event's handler attempts it (a later
    # `document.changed` of the same version finds it made and leaves it alone).
    trigger_event_id: Mapped[str] = mapped_column(String(100), default="")
    # The JSON body, fixed at the first attempt so every retry sends (and signs) the same.
    payload: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    last_attempt_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
