"""The SQL of the folder RPCs: an owner's folders with their document counts, and the
folder's own rows (create, rename, delete). A name used twice by one owner is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from services.library.lifecycle.queries import Page
from services.library.lifecycle.sql_queries import newest_first
from services.library.pages import Cursor
from services.library.row_store import SqlNamedRows
from services.library.store import DocumentRow, FolderRow


class SqlFolders(SqlNamedRows[FolderRow]):
    model = FolderRow
    name_taken = "You already have a folder named '{name}'."
    name_taken_reason = "FOLDER_NAME_TAKEN"

    async def document_count(self, folder_id: str) -> int:
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count()).where(DocumentRow.folder_id == folder_id)
            )
        return int(count or 0)

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
        with self.name_unique(name):
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
