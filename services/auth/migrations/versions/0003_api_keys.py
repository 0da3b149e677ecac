"""API keys"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    schema.create_table(
        "api_keys",
        schema.id_column(),
        *schema.cascading_reference("user_id", "users.id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        schema.sha256_column("secret_hash"),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        schema.time_column("create_time"),
        schema.time_column("last_use_time", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
        indexed=["user_id"],
    )


def downgrade() -> None:
    op.drop_table("api_keys")
