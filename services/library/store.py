"""Library tables (SQLite or PostgreSQL through SQLAlchemy)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.db import UtcDateTime
from services.kernel.outbox import outbox_table


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class NamedByOwner:
    """The columns of what a user names and keeps (a folder, a summary template); each table
    makes the name unique per owner."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(100))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())


class FolderRow(NamedByOwner, Base):
    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_folders_owner_name"),)


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_owner_created", "owner_id", "create_time", "id"),
        UniqueConstraint("owner_id", "request_id", name="uq_documents_owner_request"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(36))
    owner_email: Mapped[str] = mapped_column(String(320))
    owner_name: Mapped[str] = mapped_column(String(100), default="")
    folder_id: Mapped[str | None] = mapped_column(
        ForeignKey("folders.id", ondelete="SET NULL"), nullable=True, index=True
    )
    request_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    original_file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    media_kind: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[int] = mapped_column(Integer, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[int] = mapped_column(Integer, default=0)
    status_message: Mapped[str] = mapped_column(String(500), default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10), default="")
    detected_language: Mapped[str] = mapped_column(String(10), default="")
    summary_length: Mapped[int] = mapped_column(Integer, default=2)
    # Recognizer vocabulary (the upload's hotwords plus the owner's, fixed at upload so a
    # retry transcribes the same way) and diarization bounds (0 = automatic).
    hotwords: Mapped[str] = mapped_column(Text, default="")
    min_speakers: Mapped[int] = mapped_column(Integer, default=0)
    max_speakers: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    summary_text: Mapped[str] = mapped_column(Text, default="")
    key_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    action_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    original_key: Mapped[str] = mapped_column(String(500))
    transcript_key: Mapped[str] = mapped_column(String(500), default="")
    # The current transcript revision (1 = the transcriber's; each saved edit adds one);
    # `transcript_key` names its file.
    transcript_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pdf_key: Mapped[str] = mapped_column(String(500), default="")
    thumbnail_key: Mapped[str] = mapped_column(String(500), default="")
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())
    process_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Summary settings of the current version: the language to write it in (empty = the
    # recording's), the template chosen and its instructions as they were when chosen (a
    # retry summarizes the same way even if the template changed or was deleted since).
    summary_language: Mapped[str] = mapped_column(String(35), default="")
    summary_template_id: Mapped[str] = mapped_column(String(36), default="")
    summary_instructions: Mapped[str] = mapped_column(Text, default="")
    # Whether the current version's completion emails the owner (uploads do, regenerates
    # only when asked).
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    # How the email about the current version went (lifecycle.model.NotificationState).
    notification_state: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The structured summary (speechflow.library.v1.DocumentSummary as protobuf JSON).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A title the user gave (at upload or by renaming) is never replaced by a generated one.
    title_is_user_given: Mapped[bool] = mapped_column(Boolean, default=False)
    speaker_count: Mapped[int] = mapped_column(Integer, default=0)
    # Names the summarizer inferred for speakers, by speaker id (suggestions only).
    speaker_suggestions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class JobRow(Base):
    """The processing of one version of a document."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_created", "create_time", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer, index=True)
    stage: Mapped[int] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error_message: Mapped[str] = mapped_column(Text, default="")
    runs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())


class UploadSessionRow(Base):
    """A resumable upload: bytes are spooled to `spool_path` until FinishUpload."""

    __tablename__ = "upload_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_email: Mapped[str] = mapped_column(String(320))
    owner_name: Mapped[str] = mapped_column(String(100), default="")
    metadata_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    spool_path: Mapped[str] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime())
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ProcessedEventRow(Base):
    """Event ids already applied, so a redelivered event changes nothing."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    # Indexed for the retention sweep (services/library/processed_events.py).
    time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


OUTBOX = outbox_table(Base.metadata)


class DeletedUserRow(Base):
    """Accounts deleted in auth: their documents are gone and their tokens refused here."""

    __tablename__ = "deleted_users"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delete_time: Mapped[datetime] = mapped_column(UtcDateTime())


class PreferencesRow(Base):
    """A user's defaults for new uploads."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vocabulary: Mapped[list[str]] = mapped_column(JSON, default=list)
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())


class SummaryTemplateRow(NamedByOwner, Base):
    """A user's summary template: a name and instructions for the summarizer."""

    __tablename__ = "summary_templates"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_summary_templates_owner_name"),)

    instructions: Mapped[str] = mapped_column(Text)


class SearchEntryRow(Base):
    """A searchable passage of a document: its title, a summary paragraph or key point, or a
    transcript segment (with when it was said). The full-text index over `terms` is
    dialect-specific (migration 0006): an FTS5 table on SQLite, a `tsv` column on PostgreSQL."""

    __tablename__ = "search_entries"
    __table_args__ = (Index("ix_search_entries_document_kind", "document_id", "kind", "position"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    start_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    speaker_id: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
