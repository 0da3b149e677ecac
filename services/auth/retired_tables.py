"""Tables auth no longer has, as the revisions that created them did: the downgrade of the
revision that dropped one brings it back from here (Alembic revisions cannot import each other)."""

from __future__ import annotations

import sqlalchemy as sa

from services.kernel import migration_schema as schema


def create_login_failures_table() -> None:
    """The failed-login log of revision 0001, which 0002 replaced with rate limit counters."""
    schema.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        schema.time_column("time"),
        sa.PrimaryKeyConstraint("id"),
        indexed=["key"],
    )
