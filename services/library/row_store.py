"""What the library's SQL stores share: one table's rows by primary key, each call in its own
transaction, and (for what a user names) the refusal of a name one owner already uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from services.kernel.db import Database
from services.kernel.errors import AlreadyExists
from services.library.store import Base

Row = TypeVar("Row", bound=Base)


class SqlRows(Generic[Row]):
    """A store of `model`'s rows; subclasses add the table's own queries."""

    model: type[Row]

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> Row | None:
        async with self._db.session() as session:
            return await session.get(self.model, key)

    async def add(self, row: Row) -> Row:
        async with self._db.session() as session:
            session.add(row)
        return row

    async def delete(self, key: str) -> None:
        async with self._db.session() as session:
            row = await session.get(self.model, key)
            if row is not None:
                await session.delete(row)


class SqlNamedRows(SqlRows[Row]):
    """A store of what a user names and keeps (store.NamedByOwner rows: a folder, a summary
    template). A name its owner already uses is refused: AlreadyExists with `name_taken`
    (formatted with the name) and `name_taken_reason`."""

    name_taken: str
    name_taken_reason: str

    @contextmanager
    def name_unique(self, name: str) -> Iterator[None]:
        """A write within that breaks a unique constraint (`name` already used by the owner)
        is refused."""
        try:
            yield
        except IntegrityError as exc:
            refusal = AlreadyExists(
                self.name_taken.format(name=name), reason=self.name_taken_reason
            )
            raise refusal from exc

    async def create(self, owner_id: str, name: str, now: datetime, **columns: Any) -> Row:
        """A new row of `owner_id` named `name` (and its own `columns`), made `now`."""
        row = self.model(owner_id=owner_id, name=name, create_time=now, update_time=now, **columns)
        with self.name_unique(name):
            return await self.add(row)
