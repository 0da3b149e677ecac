"""recognizer vocabulary, speaker bounds and user preferences"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("hotwords", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("min_speakers", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("max_speakers", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "preferences",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("vocabulary", sa.JSON(), nullable=False),
        sa.Column("update_time", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("preferences")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("max_speakers")
        batch.drop_column("min_speakers")
        batch.drop_column("hotwords")
