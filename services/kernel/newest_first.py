"""Whole lists of rows, newest first: a user's API keys, a document's share links. The
order is create_time descending, the id breaking ties (ascending), so a list reads the same
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import DeclarativeBase

from services.kernel.db import Database

# A mapped row whose table has `id` and `create_time` columns.
Row = TypeVar("Row", bound=DeclarativeBase)


async def all_newest_first(
    db: Database, model: type[Row], *where: ColumnElement[bool]
) -> list[Row]:
    """Every row of `model` that matches `where`, newest first."""
    columns = model.__table__.c
    async with db.session() as session:
        rows = await session.scalars(
            select(model).where(*where).order_by(columns.create_time.desc(), columns.id)
        )
        return list(rows)
