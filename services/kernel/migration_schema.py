"""Columns and tables that the services' Alembic migrations create alike.

Revisions that existing databases have already applied call these, so changing one would give
a fresh database another schema than an upgraded one: never change what a helper builds; add a
new helper (or a new revision) instead. tests/ops/test_migrated_schema.py pins the result on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from services.kernel.db import UtcDateTime

UUID_LENGTH = 36
SHA256_HEX_LENGTH = 64


def id_column(length: int = UUID_LENGTH) -> sa.Column[str]:
    """`id`, the string key of a row (a UUID unless `length` says otherwise)."""
    return sa.Column("id", sa.String(length=length), nullable=False)


def uuid_column(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """A UUID that names another row or a user: `owner_id`, `user_id`, `document_id`…"""
    return sa.Column(name, sa.String(length=UUID_LENGTH), nullable=nullable)


def sha256_column(name: str) -> sa.Column[str]:
    """The hex SHA-256 of a secret (a token, key or sign-in state): all that is kept of it."""
    return sa.Column(name, sa.String(length=SHA256_HEX_LENGTH), nullable=False)


def time_column(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    """A UTC timestamp (`UtcDateTime`)."""
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def create_and_update_times() -> tuple[sa.Column[datetime], sa.Column[datetime]]:
    """`create_time` and `update_time`, both required."""
    return time_column("create_time"), time_column("update_time")


def deleted_with(column: str, referred: str) -> sa.ForeignKeyConstraint:
    """A foreign key whose row is deleted with the row it refers to (`referred` is `table.id`)."""
    return sa.ForeignKeyConstraint([column], [referred], ondelete="CASCADE")


def cascading_reference(
    column: str, referred: str
) -> tuple[sa.Column[str], sa.ForeignKeyConstraint]:
    """A required UUID `column` naming a row of `referred` (`table.id`), and the foreign key
    that deletes this row with that one: a user's API keys, a document's jobs…"""
    return uuid_column(column), deleted_with(column, referred)


def create_table(name: str, *elements: sa.schema.SchemaItem, indexed: Sequence[str] = ()) -> None:
    """Creates a table and a plain index `ix_<table>_<column>` on each column in `indexed`.

    Dropping the table drops those indexes with it, on SQLite and PostgreSQL alike.
    """
    op.create_table(name, *elements)
    for column in indexed:
        op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)


def create_outbox_table() -> None:
    """The transactional outbox (services/kernel/outbox.py) as auth and library created it."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        time_column("create_time"),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )


def add_columns(table: str, *columns: sa.Column[object]) -> None:
    """Adds columns to an existing table (in batch mode, which SQLite needs)."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(column)


def drop_columns(table: str, *names: str) -> None:
    """Drops columns from a table (in batch mode, which SQLite needs)."""
    with op.batch_alter_table(table) as batch:
        for name in names:
            batch.drop_column(name)


def column_additions(
    table: str, *columns: sa.Column[object]
) -> tuple[Callable[[], None], Callable[[], None]]:
    """`upgrade` and `downgrade` of a revision that only adds `columns` to `table`.

    The downgrade drops them again, last added first.
    """
    names = [column.name for column in reversed(columns)]

    def upgrade() -> None:
        # Copies: a column joins the table it is added to, and a process may migrate twice.
        add_columns(table, *(column._copy() for column in columns))

    def downgrade() -> None:
        drop_columns(table, *names)

    return upgrade, downgrade
