"""deleted users (GDPR account deletion)"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "deleted_users",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("delete_time", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("deleted_users")
