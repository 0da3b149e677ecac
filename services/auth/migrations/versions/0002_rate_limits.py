"""rate limit counters replace the failed-login log"""

import sqlalchemy as sa
from alembic import op

from services.auth.retired_tables import create_login_failures_table
from services.kernel import migration_schema as schema

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    schema.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        schema.time_column("window_start"),
        schema.time_column("last_time"),
        schema.time_column("blocked_until", nullable=True),
        sa.PrimaryKeyConstraint("key"),
        indexed=["last_time"],
    )
    # Failures logged by the old throttle only lived for its 15-minute window.
    op.drop_table("login_failures")


def downgrade() -> None:
    create_login_failures_table()
    op.drop_table("rate_limits")
