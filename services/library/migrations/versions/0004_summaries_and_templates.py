"""summary language, structured summaries and summary templates"""

import sqlalchemy as sa
from alembic import op

from services.kernel import migration_schema as schema

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    schema.add_columns(
        "documents",
        sa.Column("summary_language", sa.String(length=35), nullable=False, server_default=""),
        sa.Column("summary_template_id", sa.String(length=36), nullable=False, server_default=""),
        sa.Column("summary_instructions", sa.Text(), nullable=False, server_default=""),
        sa.Column("notify", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("summary", sa.JSON(), nullable=False, server_default="{}"),
        # Documents from before this revision keep their titles: nobody can tell any more
        # whether a person chose them, and replacing a chosen title would be worse.
        sa.Column("title_is_user_given", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("speaker_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("speaker_suggestions", sa.JSON(), nullable=False, server_default="{}"),
    )
    schema.create_table(
        "summary_templates",
        schema.id_column(),
        schema.uuid_column("owner_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        *schema.create_and_update_times(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name", name="uq_summary_templates_owner_name"),
        indexed=["owner_id"],
    )


def downgrade() -> None:
    op.drop_table("summary_templates")
    schema.drop_columns(
        "documents",
        "speaker_suggestions",
        "speaker_count",
        "title_is_user_given",
        "summary",
        "notify",
        "summary_instructions",
        "summary_template_id",
        "summary_language",
    )
