"""notification state of a document's latest version"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    # Documents finished before the notification had its own state: unknown (0).
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("notification_state", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("notification_state")
