"""share links: read-only links to one document, tokens stored hashed"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    schema.create_table(
        "share_links",
        schema.id_column(),
        # Deleting the document (or its owner's account) ends its links in the same statement.
        *schema.cascading_reference("document_id", "documents.id"),
        schema.uuid_column("owner_id"),
        schema.sha256_column("token_hash"),
        schema.time_column("create_time"),
        schema.time_column("expire_time"),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        schema.time_column("last_use_time", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        indexed=["owner_id"],
    )
    op.create_index(
        "ix_share_links_document_created", "share_links", ["document_id", "create_time"]
    )


def downgrade() -> None:
    op.drop_table("share_links")
