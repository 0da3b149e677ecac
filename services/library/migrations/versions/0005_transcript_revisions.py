"""transcript revisions and edits"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    # Documents transcribed before edits existed are at revision 1 (`transcript.json`).
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("transcript_revision", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("transcript_revision")
