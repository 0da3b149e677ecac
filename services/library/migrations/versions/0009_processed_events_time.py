"""index processed_events by time, for the retention sweep"""

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    op.create_index(op.f("ix_processed_events_time"), "processed_events", ["time"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_events_time"), table_name="processed_events")
