"""Abuse limits answer RESOURCE_EXHAUSTED with a clear message, and store nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import grpc

from services.library.limits import LimitGuard
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness
from tests.library.helpers import complete_pipeline, job_of, upload

Code = grpc.StatusCode


def guard(lib: LibraryHarness) -> LimitGuard:
    found: LimitGuard = lib.app.parts["limits"]
    return found


async def test_storage_quota_is_enforced_before_the_bytes_arrive(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    size = speech_wav.stat().st_size
    guard(lib).limits = dataclasses.replace(guard(lib).limits, storage_quota_bytes=size * 2)
    await upload(lib, user, speech_wav)
    await upload(lib, user, speech_wav)
    error = await call_fails(upload(lib, user, speech_wav), Code.RESOURCE_EXHAUSTED)
    assert error_info(error).reason == "STORAGE_QUOTA_EXCEEDED"
    assert "storage is full" in (error.details() or "")
    assert len(lib.stored_keys(user)) == 2


async def test_concurrent_jobs_and_upload_rate_are_limited(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    guard(lib).limits = dataclasses.replace(guard(lib).limits, max_concurrent_jobs=1)
    await upload(lib, user, speech_wav)
    busy = await call_fails(upload(lib, user, speech_wav), Code.RESOURCE_EXHAUSTED)
    assert error_info(busy).reason == "TOO_MANY_JOBS"
    other = lib.user()
    guard(lib).limits = dataclasses.replace(
        guard(lib).limits, max_concurrent_jobs=10, uploads_per_hour=1
    )
    await upload(lib, other, speech_wav)
    limited = await call_fails(upload(lib, other, speech_wav), Code.RESOURCE_EXHAUSTED)
    info = error_info(limited)
    assert info.reason == "RATE_LIMITED"
    assert 0 < int(info.metadata["retry_after_seconds"]) <= 3600


async def test_regenerate_rate_is_limited(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    guard(lib).limits = dataclasses.replace(guard(lib).limits, regenerations_per_hour=1)
    document = await upload(lib, user, speech_wav)
    await complete_pipeline(lib.bus, await job_of(lib, document.id), tag=f"limits-{document.id}")
    request = library_pb2.RegenerateDocumentRequest(document_id=document.id, language="en")
    for _ in range(100):  # the pipeline's events are applied asynchronously
        got = await lib.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document.id), metadata=user.metadata
        )
        if got.document.status == library_pb2.DOCUMENT_STATUS_COMPLETED:
            break
        await asyncio.sleep(0.1)
    await lib.library.RegenerateDocument(request, metadata=user.metadata)
    error = await call_fails(
        lib.library.RegenerateDocument(request, metadata=user.metadata), Code.RESOURCE_EXHAUSTED
    )
    assert error_info(error).reason == "RATE_LIMITED"
