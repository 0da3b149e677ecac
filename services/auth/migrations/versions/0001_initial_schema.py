"""initial schema"""

import sqlalchemy as sa
from alembic import op

from services.auth.retired_tables import create_login_failures_table
from services.kernel import migration_schema as schema

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    create_login_failures_table()
    schema.create_outbox_table()
    schema.create_table(
        "users",
        schema.id_column(),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=100), nullable=False),
        sa.Column("role", sa.Integer(), nullable=False),
        *schema.create_and_update_times(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=True)
    schema.create_table(
        "refresh_tokens",
        schema.id_column(),
        *schema.cascading_reference("user_id", "users.id"),
        schema.uuid_column("family_id"),
        schema.sha256_column("token_hash"),
        schema.time_column("expire_time"),
        schema.time_column("used_time", nullable=True),
        schema.time_column("revoke_time", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        indexed=["family_id", "user_id"],
    )


def downgrade() -> None:
    for table in ("refresh_tokens", "users", "outbox", "login_failures"):
        op.drop_table(table)
