"""OIDC sign-in: sign-ins under way and the provider identities linked to accounts"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    schema.create_table(
        "oidc_sign_ins",
        schema.sha256_column("state_hash"),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        schema.time_column("expire_time"),
        sa.PrimaryKeyConstraint("state_hash"),
        indexed=["expire_time"],
    )
    schema.create_table(
        "oidc_identities",
        schema.id_column(),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        *schema.cascading_reference("user_id", "users.id"),
        schema.time_column("create_time"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject"),
        indexed=["user_id"],
    )


def downgrade() -> None:
    op.drop_table("oidc_identities")
    op.drop_table("oidc_sign_ins")
