"""recognizer vocabulary, speaker bounds and user preferences"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    schema.add_columns(
        "documents",
        sa.Column("hotwords", sa.Text(), nullable=False, server_default=""),
        sa.Column("min_speakers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("max_speakers", sa.Integer(), nullable=False, server_default="0"),
    )
    schema.create_table(
        "preferences",
        schema.uuid_column("user_id"),
        sa.Column("vocabulary", sa.JSON(), nullable=False),
        schema.time_column("update_time"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("preferences")
    schema.drop_columns("documents", "max_speakers", "min_speakers", "hotwords")
