"""The SQL of the folder RPCs: an owner's folders with their document counts, and the
folder's own rows (create, rename, delete). A name used twice by one owner is refused."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import func, select, update

from services.kernel.errors import AlreadyExists
from services.library.lifecycle.queries import Page
from services.library.lifecycle.sql_queries import newest_first
from services.library.pages import Cursor
from services.library.row_store import SqlRows, refused_when_taken
from services.library.store import DocumentRow, FolderRow


def _name_unique(name: str) -> AbstractContextManager[None]:
    return refused_when_taken(
        AlreadyExists(f"You already have a folder named '{name}'.", reason="FOLDER_NAME_TAKEN")
    )


class SqlFolders(SqlRows[FolderRow]):
    model = FolderRow

    async def document_count(self, folder_id: str) -> int:
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count()).where(DocumentRow.folder_id == folder_id)
            )
        return int(count or 0)

    async def create(self, owner_id: str, name: str, now: datetime) -> FolderRow:
        with _name_unique(name):
            return await self.add(
                FolderRow(owner_id=owner_id, name=name, create_time=now, update_time=now)
            )

    async def page(
        self, owner_id: str, size: int, after: Cursor | None
    ) -> Page[tuple[FolderRow, int]]:
        """An owner's folders, newest first, each with its number of documents."""
        counts = (
            select(DocumentRow.folder_id, func.count().label("n"))
            .where(DocumentRow.owner_id == owner_id)
            .group_by(DocumentRow.folder_id)
            .subquery()
        )
        query = newest_first(
            select(FolderRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.folder_id == FolderRow.id)
            .where(FolderRow.owner_id == owner_id),
            FolderRow,
            size,
            after,
        )
        async with self._db.session() as session:
            rows = [(folder, int(count)) for folder, count in (await session.execute(query)).all()]
        return Page.of(rows, size)

    async def rename(self, folder_id: str, name: str, now: datetime) -> FolderRow | None:
        """The renamed folder, or None if it is gone."""
        with _name_unique(name):
            async with self._db.session() as session:
                row = await session.get(FolderRow, folder_id)
                if row is None:
                    return None
                row.name = name
                row.update_time = now
        return row

    async def delete(self, folder_id: str) -> None:
        async with self._db.session() as session:
            # Documents stay, without a folder (explicitly: SQLite may run without FK actions).
            await session.execute(
                update(DocumentRow).where(DocumentRow.folder_id == folder_id).values(folder_id=None)
            )
            row = await session.get(FolderRow, folder_id)
            if row is not None:
                await session.delete(row)
