"""deleted users (GDPR account deletion)"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    schema.create_table(
        "deleted_users",
        schema.uuid_column("user_id"),
        schema.time_column("delete_time"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("deleted_users")
