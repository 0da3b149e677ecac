"""transcript revisions and edits"""

import sqlalchemy as sa

from services.kernel import migration_schema as schema

revision: str = "0005"
down_revision: str | None = "0004"

# Documents transcribed before edits existed are at revision 1 (`transcript.json`).
upgrade, downgrade = schema.column_additions(
    "documents",
    sa.Column("transcript_revision", sa.Integer(), nullable=False, server_default="1"),
)
