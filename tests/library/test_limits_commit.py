"""Limits bind where they commit: open resumable sessions count against the quota, and
parallel uploads cannot start more jobs than the limit, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import grpc

from services.library.limits import LimitGuard
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import start_resumable, upload, upload_resumable

Code = grpc.StatusCode


def guard(lib: LibraryHarness) -> LimitGuard:
    found: LimitGuard = lib.app.parts["limits"]
    return found


def start(lib: LibraryHarness, user: User, size: int) -> grpc.aio.UnaryUnaryCall:  # type: ignore[type-arg]
    return lib.library.StartUpload(
        library_pb2.StartUploadRequest(
            metadata=library_pb2.UploadMetadata(file_name="talk.wav", size_bytes=size)
        ),
        metadata=user.metadata,
    )


async def processing_count(lib: LibraryHarness, user: User) -> int:
    listed = await lib.library.ListDocuments(
        library_pb2.ListDocumentsRequest(status=library_pb2.DOCUMENT_STATUS_PROCESSING),
        metadata=user.metadata,
    )
    return len(listed.documents)


async def test_open_upload_sessions_count_against_the_quota(lib: LibraryHarness) -> None:
    user = lib.user()
    guard(lib).limits = dataclasses.replace(guard(lib).limits, storage_quota_bytes=6_000_000)
    size = 1_900_000  # four of them would hold 7.6 MB
    for _ in range(3):
        await start(lib, user, size)
    error = await call_fails(start(lib, user, size), Code.RESOURCE_EXHAUSTED)
    assert error_info(error).reason == "STORAGE_QUOTA_EXCEEDED"
    assert "unfinished uploads" in (error.details() or "")
    assert len(lib.spool_files()) == 3  # the refused session left no spool file


async def test_parallel_upload_sessions_cannot_overrun_the_quota(lib: LibraryHarness) -> None:
    user = lib.user()
    guard(lib).limits = dataclasses.replace(guard(lib).limits, storage_quota_bytes=6_000_000)
    results = await asyncio.gather(
        *(start(lib, user, 1_900_000) for _ in range(6)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(results) - len(refused) == 3
    assert {e.code() for e in refused} == {Code.RESOURCE_EXHAUSTED}


async def test_finishing_a_session_does_not_count_its_bytes_twice(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    size = speech_wav.stat().st_size
    guard(lib).limits = dataclasses.replace(guard(lib).limits, storage_quota_bytes=size + size // 2)
    document = await upload_resumable(lib, user, speech_wav)
    assert document.size_bytes == size
    error = await call_fails(start(lib, user, size), Code.RESOURCE_EXHAUSTED)
    assert error_info(error).reason == "STORAGE_QUOTA_EXCEEDED"


async def test_parallel_finish_upload_cannot_exceed_the_jobs_limit(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    guard(lib).limits = dataclasses.replace(guard(lib).limits, max_concurrent_jobs=10)
    data = speech_wav.read_bytes()
    upload_ids = [await start_resumable(lib, user, data) for _ in range(14)]
    results = await asyncio.gather(
        *(
            lib.library.FinishUpload(
                library_pb2.FinishUploadRequest(upload_id=upload_id), metadata=user.metadata
            )
            for upload_id in upload_ids
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(refused) == 4, [r for r in results if isinstance(r, BaseException)]
    assert {error_info(e).reason for e in refused} == {"TOO_MANY_JOBS"}
    assert await processing_count(lib, user) == 10
    assert len(lib.stored_keys(user)) == 10
    assert lib.spool_files() == []


async def test_parallel_streamed_uploads_cannot_exceed_the_jobs_limit(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    guard(lib).limits = dataclasses.replace(guard(lib).limits, max_concurrent_jobs=10)
    results = await asyncio.gather(
        *(upload(lib, user, speech_wav) for _ in range(14)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(refused) == 4, [r for r in results if isinstance(r, BaseException)]
    assert {error_info(e).reason for e in refused} == {"TOO_MANY_JOBS"}
    assert await processing_count(lib, user) == 10
    assert len(lib.stored_keys(user)) == 10
