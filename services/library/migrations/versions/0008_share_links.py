"""share links: read-only links to one document, tokens stored hashed"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("create_time", UtcDateTime(), nullable=False),
        sa.Column("expire_time", UtcDateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("last_use_time", UtcDateTime(), nullable=True),
        # Deleting the document (or its owner's account) ends its links in the same statement.
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_share_links_owner_id", "share_links", ["owner_id"])
    op.create_index(
        "ix_share_links_document_created", "share_links", ["document_id", "create_time"]
    )


def downgrade() -> None:
    op.drop_index("ix_share_links_document_created", table_name="share_links")
    op.drop_index("ix_share_links_owner_id", table_name="share_links")
    op.drop_table("share_links")
