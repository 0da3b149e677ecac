"""The SQL behind services/library/lifecycle/queries.py: document, folder and job lookups,
the document and job lists, and a rename/move (the one edit outside the state machine)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, func, or_, select, true

from services.kernel.db import Database
from services.library import search_index
from services.library.lifecycle.model import JobStatus
from services.library.lifecycle.queries import DocumentEdit, DocumentListing, JobListing, Page
from services.library.pages import Cursor
from services.library.store import DocumentRow, FolderRow, JobRow

Columns = TypeVarTuple("Columns")


class SqlDocumentQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def document(self, document_id: str) -> DocumentRow | None:
        async with self._db.session() as session:
            return await session.get(DocumentRow, document_id)

    async def folder(self, folder_id: str) -> FolderRow | None:
        async with self._db.session() as session:
            return await session.get(FolderRow, folder_id)

    async def documents(self, listing: DocumentListing) -> Page[DocumentRow]:
        filters = _filters(listing)
        query = newest_first(
            select(DocumentRow).where(and_(*filters)), DocumentRow, listing.size, listing.after
        )
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
            total = await session.scalar(
                select(func.count()).select_from(DocumentRow).where(and_(*filters))
            )
        return Page.of(rows, listing.size, total=int(total or 0))

    async def edit(self, document_id: str, edit: DocumentEdit, now: datetime) -> DocumentRow | None:
        """The edited document, or None if it is gone."""
        async with self._db.session() as session:
            row = await session.get(DocumentRow, document_id)
            if row is None:
                return None
            if edit.title is not None:
                row.title = edit.title
                row.title_is_user_given = True  # a generated title never replaces it now
                await search_index.index_title(session, row)
            if edit.move:
                row.folder_id = edit.folder_id
            row.update_time = now
            return row

    async def job(self, job_id: str) -> JobRow | None:
        async with self._db.session() as session:
            return await session.get(JobRow, job_id)

    async def jobs(self, listing: JobListing) -> Page[tuple[JobRow, DocumentRow | None]]:
        """Each job with its document (None once the document is deleted)."""
        filters: list[Any] = []
        if listing.status:
            filters.append(JobRow.status == listing.status)
        if listing.stage:
            filters.append(JobRow.stage == listing.stage)
        query = newest_first(
            select(JobRow).where(and_(true(), *filters)), JobRow, listing.size, listing.after
        )
        async with self._db.session() as session:
            page = Page.of(list((await session.scalars(query)).all()), listing.size)
            wanted = {row.document_id for row in page.rows}
            documents = {
                document.id: document
                for document in await session.scalars(
                    select(DocumentRow).where(DocumentRow.id.in_(wanted))
                )
            }
        return Page(
            rows=[(job, documents.get(job.document_id)) for job in page.rows], more=page.more
        )

    async def failed_jobs_by_stage(self) -> dict[int, int]:
        async with self._db.session() as session:
            counts = await session.execute(
                select(JobRow.stage, func.count())
                .where(JobRow.status == int(JobStatus.FAILED))
                .group_by(JobRow.stage)
            )
            return {int(stage): int(count) for stage, count in counts.all()}


def _filters(listing: DocumentListing) -> list[Any]:
    filters: list[Any] = [DocumentRow.owner_id == listing.owner_id]
    if listing.folder_id:
        filters.append(DocumentRow.folder_id == listing.folder_id)
    if listing.status:
        filters.append(DocumentRow.status == listing.status)
    if listing.created_after is not None:
        filters.append(DocumentRow.create_time >= listing.created_after)
    if listing.created_before is not None:
        filters.append(DocumentRow.create_time < listing.created_before)
    for word in listing.words:
        pattern = f"%{escape_like(word)}%"
        filters.append(
            or_(
                DocumentRow.title.ilike(pattern, escape="\\"),
                DocumentRow.transcript_text.ilike(pattern, escape="\\"),
                DocumentRow.summary_text.ilike(pattern, escape="\\"),
            )
        )
    return filters


def newest_first(
    query: Select[*Columns], model: Any, size: int, after: Cursor | None
) -> Select[*Columns]:
    """`query` in (create_time desc, id desc) order from `after` on, one row past `size` (see
    Page.of)."""
    query = query.order_by(model.create_time.desc(), model.id.desc()).limit(size + 1)
    return query if after is None else query.where(before_cursor(model, after))


def before_cursor(model: Any, cursor: Cursor) -> Any:
    return or_(
        model.create_time < cursor.create_time,
        and_(model.create_time == cursor.create_time, model.id < cursor.id),
    )


def escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
