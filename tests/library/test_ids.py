"""Unbounded input stays bounded: ids are checked before any lookup or lock, errors quote
little of what was sent, crafted page tokens are refused, and invisible or direction-changing
characters never reach titles and names."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable
from pathlib import Path

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from services.library.pages import query_fingerprint
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import start_resumable, upload

Code = grpc.StatusCode
HUGE_ID = "a" * (2 * 1024 * 1024)
# What a person should see of a title full of terminal escapes and bidi overrides.
HOSTILE = "Bud\x00get\x1b[2J review\u202eexe.txt\u2066 \u202a2026\u202c\x07"
CLEANED = "Budget[2J reviewexe.txt 2026"


def calls_with_id(lib: LibraryHarness, user: User, bad: str) -> dict[str, Awaitable[object]]:
    s, m = lib.library, user.metadata
    return {
        "GetDocument": s.GetDocument(library_pb2.GetDocumentRequest(document_id=bad), metadata=m),
        "DeleteDocument": s.DeleteDocument(
            library_pb2.DeleteDocumentRequest(document_id=bad), metadata=m
        ),
        "GetFolder": s.GetFolder(library_pb2.GetFolderRequest(folder_id=bad), metadata=m),
        "ListDocuments": s.ListDocuments(
            library_pb2.ListDocumentsRequest(folder_id=bad), metadata=m
        ),
        "GetUpload": s.GetUpload(library_pb2.GetUploadRequest(upload_id=bad), metadata=m),
        "UploadChunk": s.UploadChunk(
            library_pb2.UploadChunkRequest(upload_id=bad, offset=0, data=b"x"), metadata=m
        ),
        "FinishUpload": s.FinishUpload(library_pb2.FinishUploadRequest(upload_id=bad), metadata=m),
    }


async def test_megabyte_ids_are_invalid_and_not_echoed(lib: LibraryHarness) -> None:
    user = lib.user()
    for name, call in calls_with_id(lib, user, HUGE_ID).items():
        error = await call_fails(call, Code.INVALID_ARGUMENT)
        assert error_info(error).reason == "INVALID_ID", name
        assert len(error.details() or "") < 200, name


async def test_job_ids_are_checked_before_the_lookup(lib: LibraryHarness) -> None:
    from services.kernel.tokens import Role

    admin = lib.user(Role.ADMIN)
    error = await call_fails(
        lib.jobs.GetJob(library_pb2.GetJobRequest(job_id=HUGE_ID), metadata=admin.metadata),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "INVALID_ID"


@pytest.mark.parametrize("bad", ["../../etc", "id with spaces", "x" * 65, "é"])
async def test_ids_of_the_wrong_form_are_invalid(lib: LibraryHarness, bad: str) -> None:
    error = await call_fails(
        lib.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=bad), metadata=lib.user().metadata
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "INVALID_ID"


async def test_upload_locks_do_not_grow_with_bogus_ids_and_go_when_sessions_end(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    locks = lib.app.parts["library"]._upload_locks
    for index in range(40):
        bogus = f"no-such-upload-{index}"
        await call_fails(
            lib.library.UploadChunk(
                library_pb2.UploadChunkRequest(upload_id=bogus, offset=0, data=b"x"),
                metadata=user.metadata,
            ),
            Code.NOT_FOUND,
        )
        await call_fails(
            lib.library.FinishUpload(
                library_pb2.FinishUploadRequest(upload_id=bogus), metadata=user.metadata
            ),
            Code.NOT_FOUND,
        )
    assert len(locks) == 0
    upload_id = await start_resumable(lib, user, speech_wav.read_bytes())
    assert len(locks) == 0  # chunks were stored: nobody holds the lock between calls
    await lib.library.FinishUpload(
        library_pb2.FinishUploadRequest(upload_id=upload_id), metadata=user.metadata
    )
    assert len(locks) == 0


def crafted_token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"t": "2026-01-01T00:00:00", "i": "x"}, id="naive-time"),
        pytest.param({"t": "2026-01-01T00:00:00+00:00", "i": 7}, id="id-not-text"),
        pytest.param(["t", "i", "q"], id="not-an-object"),
    ],
)
async def test_crafted_page_token_is_invalid_argument(lib: LibraryHarness, payload: object) -> None:
    user = lib.user()
    if isinstance(payload, dict):  # the fingerprint a client can compute for its own query
        payload["q"] = query_fingerprint(user.id, "", 0, None, None, "")
    error = await call_fails(
        lib.library.ListDocuments(
            library_pb2.ListDocumentsRequest(page_token=crafted_token(payload)),
            metadata=user.metadata,
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "INVALID_PAGE_TOKEN"


async def test_oversized_page_token_and_query_are_invalid(lib: LibraryHarness) -> None:
    user = lib.user()
    for request in (
        library_pb2.ListDocumentsRequest(page_token="A" * 100_000),
        library_pb2.ListDocumentsRequest(query="budget " * 10_000),
    ):
        error = await call_fails(
            lib.library.ListDocuments(request, metadata=user.metadata), Code.INVALID_ARGUMENT
        )
        assert len(error.details() or "") < 200


async def test_errors_quote_only_the_start_of_long_input(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    error = await call_fails(
        upload(lib, lib.user(), speech_wav, language="x" * 100_000), Code.INVALID_ARGUMENT
    )
    assert error_info(error).reason == "UNSUPPORTED_LANGUAGE"
    assert len(error.details() or "") < 200


async def test_control_and_bidi_characters_are_stripped_from_titles_and_names(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(
        lib, user, speech_wav, title=HOSTILE, file_name="minutes\u202egnp.wav\x1b"
    )
    assert document.title == CLEANED
    assert document.original_file_name == "minutesgnp.wav"
    renamed = await lib.library.UpdateDocument(
        library_pb2.UpdateDocumentRequest(
            document=library_pb2.Document(id=document.id, title=HOSTILE),
            update_mask=FieldMask(paths=["title"]),
        ),
        metadata=user.metadata,
    )
    assert renamed.document.title == CLEANED
    folder = await lib.library.CreateFolder(
        library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name=HOSTILE)),
        metadata=user.metadata,
    )
    assert folder.folder.name == CLEANED
    moved = await lib.library.UpdateFolder(
        library_pb2.UpdateFolderRequest(
            folder=library_pb2.Folder(id=folder.folder.id, name=f"{HOSTILE} 2"),
            update_mask=FieldMask(paths=["name"]),
        ),
        metadata=user.metadata,
    )
    assert moved.folder.name == f"{CLEANED} 2"
