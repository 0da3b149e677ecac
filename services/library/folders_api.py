"""LibraryService folder RPCs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.kernel.errors import (
    AlreadyExists,
    NotFound,
)
from services.library import domain
from services.library.accounts import active_caller
from services.library.api_base import (
    FOLDER_MASK_PATHS,
    Context,
    LibraryBase,
    before_cursor,
    check_mask,
)
from services.library.convert import folder_message
from services.library.pages import Cursor, decode_token, encode_token, page_size, query_fingerprint
from services.library.store import DocumentRow, FolderRow
from speechflow.library.v1 import library_pb2


class FolderRpcs(LibraryBase):
    async def _document_count(self, folder_id: str) -> int:
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count()).where(DocumentRow.folder_id == folder_id)
            )
        return int(count or 0)

    async def CreateFolder(
        self, request: library_pb2.CreateFolderRequest, context: Context
    ) -> library_pb2.CreateFolderResponse:
        principal = await active_caller(self._db)
        name = domain.clean_folder_name(request.folder.name)
        now = datetime.now(UTC)
        folder = FolderRow(owner_id=principal.user_id, name=name, create_time=now, update_time=now)
        try:
            async with self._db.session() as session:
                session.add(folder)
        except IntegrityError as exc:
            raise AlreadyExists(
                f"You already have a folder named '{name}'.", reason="FOLDER_NAME_TAKEN"
            ) from exc
        return library_pb2.CreateFolderResponse(folder=folder_message(folder))

    async def GetFolder(
        self, request: library_pb2.GetFolderRequest, context: Context
    ) -> library_pb2.GetFolderResponse:
        folder = await self._owned_folder(await active_caller(self._db), request.folder_id)
        count = await self._document_count(folder.id)
        return library_pb2.GetFolderResponse(folder=folder_message(folder, count))

    async def ListFolders(
        self, request: library_pb2.ListFoldersRequest, context: Context
    ) -> library_pb2.ListFoldersResponse:
        principal = await active_caller(self._db)
        size = page_size(request.page_size)
        fingerprint = query_fingerprint("folders", principal.user_id)
        cursor = decode_token(request.page_token, fingerprint)
        counts = (
            select(DocumentRow.folder_id, func.count().label("n"))
            .where(DocumentRow.owner_id == principal.user_id)
            .group_by(DocumentRow.folder_id)
            .subquery()
        )
        query = (
            select(FolderRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.folder_id == FolderRow.id)
            .where(FolderRow.owner_id == principal.user_id)
            .order_by(FolderRow.create_time.desc(), FolderRow.id.desc())
            .limit(size + 1)
        )
        if cursor is not None:
            query = query.where(before_cursor(FolderRow, cursor))
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        page = rows[:size]
        token = ""
        if len(rows) > size:
            last = page[-1][0]
            token = encode_token(Cursor(last.create_time, last.id), fingerprint)
        return library_pb2.ListFoldersResponse(
            folders=[folder_message(f, int(n)) for f, n in page], next_page_token=token
        )

    async def UpdateFolder(
        self, request: library_pb2.UpdateFolderRequest, context: Context
    ) -> library_pb2.UpdateFolderResponse:
        principal = await active_caller(self._db)
        paths = check_mask(list(request.update_mask.paths) or ["name"], FOLDER_MASK_PATHS)
        folder = await self._owned_folder(principal, request.folder.id)
        if "name" in paths:
            name = domain.clean_folder_name(request.folder.name)
            try:
                async with self._db.session() as session:
                    row = await session.get(FolderRow, folder.id)
                    if row is None:
                        raise NotFound(
                            f"Folder {folder.id} does not exist.", reason="FOLDER_NOT_FOUND"
                        )
                    row.name = name
                    row.update_time = datetime.now(UTC)
                    folder = row
            except IntegrityError as exc:
                raise AlreadyExists(
                    f"You already have a folder named '{name}'.", reason="FOLDER_NAME_TAKEN"
                ) from exc
        count = await self._document_count(folder.id)
        return library_pb2.UpdateFolderResponse(folder=folder_message(folder, count))

    async def DeleteFolder(
        self, request: library_pb2.DeleteFolderRequest, context: Context
    ) -> library_pb2.DeleteFolderResponse:
        folder = await self._owned_folder(await active_caller(self._db), request.folder_id)
        async with self._db.session() as session:
            # Documents stay, without a folder (explicitly: SQLite may run without FK actions).
            await session.execute(
                update(DocumentRow).where(DocumentRow.folder_id == folder.id).values(folder_id=None)
            )
            row = await session.get(FolderRow, folder.id)
            if row is not None:
                await session.delete(row)
        return library_pb2.DeleteFolderResponse()
