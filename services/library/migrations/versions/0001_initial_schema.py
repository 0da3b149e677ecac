"""initial schema"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0001"
down_revision: str | None = None


def owner_columns() -> tuple[sa.Column[str], ...]:
    """Who an upload or a document belongs to: the id, and the address and name to notify."""
    return (
        schema.uuid_column("owner_id"),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("owner_name", sa.String(length=100), nullable=False),
    )


def upgrade() -> None:
    schema.create_table(
        "folders",
        schema.id_column(),
        schema.uuid_column("owner_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        *schema.create_and_update_times(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name", name="uq_folders_owner_name"),
        indexed=["owner_id"],
    )
    schema.create_outbox_table()
    schema.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        schema.time_column("time"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    schema.create_table(
        "upload_sessions",
        schema.id_column(),
        *owner_columns(),
        sa.Column("metadata_json", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("received_bytes", sa.BigInteger(), nullable=False),
        sa.Column("spool_path", sa.String(length=500), nullable=False),
        schema.time_column("create_time"),
        schema.time_column("expire_time"),
        sa.PrimaryKeyConstraint("id"),
        indexed=["expire_time", "owner_id"],
    )
    schema.create_table(
        "documents",
        schema.id_column(),
        *owner_columns(),
        schema.uuid_column("folder_id", nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("original_file_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("media_kind", sa.String(length=10), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("status_message", sa.String(length=500), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("detected_language", sa.String(length=10), nullable=False),
        sa.Column("summary_length", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("transcript_text", sa.Text(), nullable=False),
        sa.Column("summary_text", sa.Text(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("action_items", sa.JSON(), nullable=False),
        sa.Column("original_key", sa.String(length=500), nullable=False),
        sa.Column("transcript_key", sa.String(length=500), nullable=False),
        sa.Column("pdf_key", sa.String(length=500), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=500), nullable=False),
        *schema.create_and_update_times(),
        schema.time_column("process_time", nullable=True),
        sa.ForeignKeyConstraint(["folder_id"], ["folders.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "request_id", name="uq_documents_owner_request"),
        indexed=["folder_id", "status"],
    )
    op.create_index(
        "ix_documents_owner_created", "documents", ["owner_id", "create_time", "id"], unique=False
    )
    schema.create_table(
        "jobs",
        schema.id_column(),
        *schema.cascading_reference("document_id", "documents.id"),
        schema.uuid_column("owner_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("runs", sa.JSON(), nullable=False),
        *schema.create_and_update_times(),
        sa.PrimaryKeyConstraint("id"),
        indexed=["document_id", "owner_id", "stage", "status"],
    )
    op.create_index("ix_jobs_created", "jobs", ["create_time", "id"], unique=False)


def downgrade() -> None:
    for table in (
        "jobs",
        "documents",
        "upload_sessions",
        "processed_events",
        "outbox",
        "folders",
    ):
        op.drop_table(table)
