"""Folders: create, get, list with pagination, rename, delete (documents stay, unfiled)."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import upload

Code = grpc.StatusCode


async def create_folder(lib: LibraryHarness, user: User, name: str) -> library_pb2.Folder:
    response = await lib.library.CreateFolder(
        library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name=name)),
        metadata=user.metadata,
    )
    return response.folder


async def get_folder(lib: LibraryHarness, user: User, folder_id: str) -> library_pb2.Folder:
    response = await lib.library.GetFolder(
        library_pb2.GetFolderRequest(folder_id=folder_id), metadata=user.metadata
    )
    return response.folder


@pytest.mark.asyncio
async def test_created_folder_can_be_read_back(lib: LibraryHarness) -> None:
    user = lib.user()
    created = await create_folder(lib, user, "  Board   meetings ")
    assert created.id
    assert created.name == "Board meetings"  # whitespace is normalized
    assert created.document_count == 0
    assert created.HasField("create_time")
    fetched = await get_folder(lib, user, created.id)
    assert fetched.id == created.id
    assert fetched.name == "Board meetings"


@pytest.mark.asyncio
async def test_folder_names_are_unique_per_user(lib: LibraryHarness) -> None:
    user, other = lib.user(), lib.user()
    await create_folder(lib, user, "Calls")
    error = await call_fails(create_folder(lib, user, "Calls"), Code.ALREADY_EXISTS)
    assert error_info(error).reason == "FOLDER_NAME_TAKEN"
    # Another user may use the same name.
    assert (await create_folder(lib, other, "Calls")).name == "Calls"


@pytest.mark.asyncio
async def test_folder_needs_a_name(lib: LibraryHarness) -> None:
    user = lib.user()
    for name in ("", "   "):
        error = await call_fails(create_folder(lib, user, name), Code.INVALID_ARGUMENT)
        assert error_info(error).reason == "FOLDER_NAME_REQUIRED"
    await call_fails(create_folder(lib, user, "x" * 101), Code.INVALID_ARGUMENT)


@pytest.mark.asyncio
async def test_list_folders_pages_through_every_folder_once(lib: LibraryHarness) -> None:
    user, other = lib.user(), lib.user()
    names = {f"Folder {n}" for n in range(7)}
    for name in sorted(names):
        await create_folder(lib, user, name)
    await create_folder(lib, other, "Not yours")

    async def all_pages() -> list[list[str]]:
        pages: list[list[str]] = []
        token = ""
        while True:
            response = await lib.library.ListFolders(
                library_pb2.ListFoldersRequest(page_size=3, page_token=token),
                metadata=user.metadata,
            )
            pages.append([f.name for f in response.folders])
            token = response.next_page_token
            if not token:
                return pages

    pages = await all_pages()
    assert [len(page) for page in pages] == [3, 3, 1]
    listed = [name for page in pages for name in page]
    assert len(listed) == len(set(listed))  # no duplicates
    assert set(listed) == names  # nothing of another user's, nothing missing
    assert await all_pages() == pages  # the order is stable


@pytest.mark.asyncio
async def test_list_folders_rejects_bad_paging(lib: LibraryHarness) -> None:
    user, other = lib.user(), lib.user()
    for n in range(3):
        await create_folder(lib, user, f"F{n}")
    first = await lib.library.ListFolders(
        library_pb2.ListFoldersRequest(page_size=2), metadata=user.metadata
    )
    assert first.next_page_token
    bad = await call_fails(
        lib.library.ListFolders(
            library_pb2.ListFoldersRequest(page_token="not-a-token"), metadata=user.metadata
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(bad).reason == "INVALID_PAGE_TOKEN"
    # A token is tied to the user who listed: it reveals nothing to another one.
    await call_fails(
        lib.library.ListFolders(
            library_pb2.ListFoldersRequest(page_token=first.next_page_token),
            metadata=other.metadata,
        ),
        Code.INVALID_ARGUMENT,
    )
    await call_fails(
        lib.library.ListFolders(
            library_pb2.ListFoldersRequest(page_size=-1), metadata=user.metadata
        ),
        Code.INVALID_ARGUMENT,
    )


@pytest.mark.asyncio
async def test_update_folder_renames_it(lib: LibraryHarness) -> None:
    user = lib.user()
    folder = await create_folder(lib, user, "Draft")
    await create_folder(lib, user, "Taken")
    renamed = await lib.library.UpdateFolder(
        library_pb2.UpdateFolderRequest(
            folder=library_pb2.Folder(id=folder.id, name="Final"),
            update_mask=FieldMask(paths=["name"]),
        ),
        metadata=user.metadata,
    )
    assert renamed.folder.name == "Final"
    assert (await get_folder(lib, user, folder.id)).name == "Final"
    taken = await call_fails(
        lib.library.UpdateFolder(
            library_pb2.UpdateFolderRequest(
                folder=library_pb2.Folder(id=folder.id, name="Taken"),
                update_mask=FieldMask(paths=["name"]),
            ),
            metadata=user.metadata,
        ),
        Code.ALREADY_EXISTS,
    )
    assert error_info(taken).reason == "FOLDER_NAME_TAKEN"
    for mask, name in ((["document_count"], "Other"), (["name"], " ")):
        await call_fails(
            lib.library.UpdateFolder(
                library_pb2.UpdateFolderRequest(
                    folder=library_pb2.Folder(id=folder.id, name=name),
                    update_mask=FieldMask(paths=mask),
                ),
                metadata=user.metadata,
            ),
            Code.INVALID_ARGUMENT,
        )
    assert (await get_folder(lib, user, folder.id)).name == "Final"


@pytest.mark.asyncio
async def test_document_count_follows_the_folder_contents(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    folder = await create_folder(lib, user, "Counted")
    await upload(lib, user, speech_wav, folder_id=folder.id)
    await upload(lib, user, speech_wav, folder_id=folder.id)
    await upload(lib, user, speech_wav)  # unfiled
    assert (await get_folder(lib, user, folder.id)).document_count == 2
    listed = await lib.library.ListFolders(library_pb2.ListFoldersRequest(), metadata=user.metadata)
    assert [(f.id, f.document_count) for f in listed.folders] == [(folder.id, 2)]


@pytest.mark.asyncio
async def test_deleting_a_folder_keeps_its_documents_unfiled(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    folder = await create_folder(lib, user, "Temporary")
    document = await upload(lib, user, speech_wav, folder_id=folder.id)
    assert document.folder_id == folder.id
    await lib.library.DeleteFolder(
        library_pb2.DeleteFolderRequest(folder_id=folder.id), metadata=user.metadata
    )
    await call_fails(get_folder(lib, user, folder.id), Code.NOT_FOUND)
    kept = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=document.id), metadata=user.metadata
    )
    assert kept.document.folder_id == ""
    await call_fails(
        lib.library.DeleteFolder(
            library_pb2.DeleteFolderRequest(folder_id=folder.id), metadata=user.metadata
        ),
        Code.NOT_FOUND,
    )
    # The name is free again.
    assert (await create_folder(lib, user, "Temporary")).id != folder.id
