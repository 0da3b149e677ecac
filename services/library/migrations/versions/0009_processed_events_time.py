"""index processed_events by time, for the retention sweep

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_processed_events_time"), "processed_events", ["time"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_events_time"), table_name="processed_events")
