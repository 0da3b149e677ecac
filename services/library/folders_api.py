"""LibraryService folder RPCs."""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.errors import NotFound
from services.library import domain
from services.library.accounts import active_caller
from services.library.api_base import (
    FOLDER_MASK_PATHS,
    Context,
    LibraryBase,
    masked_or_all,
)
from services.library.convert import folder_message
from services.library.pages import Paging
from speechflow.library.v1 import library_pb2


class FolderRpcs(LibraryBase):
    async def CreateFolder(
        self, request: library_pb2.CreateFolderRequest, context: Context
    ) -> library_pb2.CreateFolderResponse:
        principal = await active_caller(self._db)
        name = domain.clean_folder_name(request.folder.name)
        folder = await self._folders.create(principal.user_id, name, datetime.now(UTC))
        return library_pb2.CreateFolderResponse(folder=folder_message(folder))

    async def GetFolder(
        self, request: library_pb2.GetFolderRequest, context: Context
    ) -> library_pb2.GetFolderResponse:
        folder = await self._owned_folder(await active_caller(self._db), request.folder_id)
        count = await self._folders.document_count(folder.id)
        return library_pb2.GetFolderResponse(folder=folder_message(folder, count))

    async def ListFolders(
        self, request: library_pb2.ListFoldersRequest, context: Context
    ) -> library_pb2.ListFoldersResponse:
        principal = await active_caller(self._db)
        paging = Paging.of(request, "folders", principal.user_id)
        page = await self._folders.page(principal.user_id, paging.size, paging.cursor())
        return library_pb2.ListFoldersResponse(
            folders=[folder_message(f, n) for f, n in page.rows],
            next_page_token=paging.next_token(page.last),
        )

    async def UpdateFolder(
        self, request: library_pb2.UpdateFolderRequest, context: Context
    ) -> library_pb2.UpdateFolderResponse:
        principal = await active_caller(self._db)
        paths = masked_or_all(list(request.update_mask.paths), FOLDER_MASK_PATHS)
        folder = await self._owned_folder(principal, request.folder.id)
        if "name" in paths:
            name = domain.clean_folder_name(request.folder.name)
            renamed = await self._folders.rename(folder.id, name, datetime.now(UTC))
            if renamed is None:
                raise NotFound(f"Folder {folder.id} does not exist.", reason="FOLDER_NOT_FOUND")
            folder = renamed
        count = await self._folders.document_count(folder.id)
        return library_pb2.UpdateFolderResponse(folder=folder_message(folder, count))

    async def DeleteFolder(
        self, request: library_pb2.DeleteFolderRequest, context: Context
    ) -> library_pb2.DeleteFolderResponse:
        folder = await self._owned_folder(await active_caller(self._db), request.folder_id)
        await self._folders.delete(folder.id)
        return library_pb2.DeleteFolderResponse()
