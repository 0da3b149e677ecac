"""notification state of a document's latest version"""

import sqlalchemy as sa

from services.kernel import migration_schema as schema

revision: str = "0007"
down_revision: str | None = "0006"

# Documents finished before the notification had its own state: unknown (0).
upgrade, downgrade = schema.column_additions(
    "documents",
    sa.Column("notification_state", sa.Integer(), nullable=False, server_default="0"),
)
