"""Webhooks and their deliveries"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    schema.create_table(
        "webhooks",
        schema.id_column(),
        schema.uuid_column("owner_id"),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *schema.create_and_update_times(),
        sa.PrimaryKeyConstraint("id"),
        indexed=["owner_id"],
    )
    schema.create_table(
        "webhook_deliveries",
        schema.id_column(length=40),
        *schema.cascading_reference("webhook_id", "webhooks.id"),
        schema.uuid_column("owner_id"),
        schema.uuid_column("document_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("trigger_event_id", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        schema.time_column("create_time"),
        schema.time_column("last_attempt_time", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "document_id", "version", "event_type"),
        indexed=["webhook_id"],
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
