"""The library SIGKILLed while an upload streams in: the client gets an error, no document
row or stored object is left behind, and the same upload retried afterwards goes through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import grpc.aio
import pytest

from bench.client import MeshUser
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests.reliability.checks import assert_delivered_once, mesh_store
from tests.reliability.conftest import ON_BOTH_STORES, SignUp
from tests.reliability.ledger import LEDGER

pytestmark = pytest.mark.slow

CHUNK = 64 * 1024


async def slow_upload(
    user: MeshUser, data: bytes, request_id: str, halfway: asyncio.Event
) -> library_pb2.UploadDocumentResponse:
    async def messages() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
        yield library_pb2.UploadDocumentRequest(
            metadata=library_pb2.UploadMetadata(
                file_name="interrupted.flac",
                size_bytes=len(data),
                language="en",
                request_id=request_id,
            )
        )
        for start in range(0, len(data), CHUNK):
            if start >= len(data) // 2:
                halfway.set()
            yield library_pb2.UploadDocumentRequest(chunk=data[start : start + CHUNK])
            await asyncio.sleep(0.05)

    return await user.library.UploadDocument(messages(), metadata=user.metadata)


def stored_uploads(mesh: Mesh, user: MeshUser) -> list[str]:
    return [o.key for o in mesh_store(mesh).list("uploads/") if f"/{user.user_id}/" in o.key]


@ON_BOTH_STORES
async def test_upload_interrupted_by_a_library_crash_leaves_nothing_and_can_be_retried(
    target_mesh: Mesh, sign_up: SignUp, short_speech: Path
) -> None:
    mesh = target_mesh
    LEDGER.scenario("SIGKILL library during uploads")
    user = await sign_up()
    data = short_speech.read_bytes()
    library = mesh.services["library"]
    halfway = asyncio.Event()
    upload = asyncio.create_task(slow_upload(user, data, "retry-me", halfway))
    await halfway.wait()
    await asyncio.to_thread(library.kill)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await upload
    LEDGER.error(failure.value.code().name)
    assert failure.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)
    await asyncio.to_thread(library.start)

    listed = await user.library.ListDocuments(
        library_pb2.ListDocumentsRequest(), metadata=user.metadata
    )
    assert list(listed.documents) == []
    assert stored_uploads(mesh, user) == []

    document = await user.upload(data, "interrupted.flac", request_id="retry-me")
    LEDGER.submitted()
    await assert_delivered_once(mesh, user, document.id)
