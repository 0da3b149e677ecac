"""The library's PostgreSQL goes away for a while: RPCs answer UNAVAILABLE with a message a
person understands, and work again once it is back, with no restart of the library."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import grpc.aio
import pytest

from services.mesh.nats_server import NatsServer
from services.mesh.postgres import PostgresServer
from services.mesh.processes import free_port
from speechflow.library.v1 import library_pb2
from tests.reliability.in_process_library import InProcessLibrary, library_in_process
from tests.reliability.ledger import LEDGER

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this module's own: stopping the session's would disturb other tests."""
    data_dir = Path(tempfile.mkdtemp(prefix="speechflow-outage-postgres-"))
    try:
        with PostgresServer(data_dir, free_port(), durable=False) as server:
            yield server
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def library(
    own_postgres: PostgresServer, nats_server: NatsServer, tmp_path: Path
) -> AsyncIterator[InProcessLibrary]:
    url = own_postgres.create_database("outage")
    try:
        async with library_in_process(tmp_path, nats_server.url, url) as harness:
            yield harness
    finally:
        if not own_postgres.is_running():
            await asyncio.to_thread(own_postgres.start)
        own_postgres.drop_database("outage")


async def list_and_create(lib: InProcessLibrary, folder: str) -> None:
    await lib.library.ListDocuments(library_pb2.ListDocumentsRequest(), metadata=lib.metadata)
    await lib.library.CreateFolder(
        library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name=folder)),
        metadata=lib.metadata,
    )


async def test_rpcs_answer_unavailable_while_the_database_is_down_and_recover(
    own_postgres: PostgresServer, library: InProcessLibrary
) -> None:
    LEDGER.scenario("database unavailable for a while")
    await list_and_create(library, "Before")
    await asyncio.to_thread(own_postgres.stop)
    stub, metadata = library.library, library.metadata
    for call in (
        stub.ListDocuments(library_pb2.ListDocumentsRequest(), metadata=metadata),
        stub.GetDocument(
            library_pb2.GetDocumentRequest(document_id="00000000-0000-0000-0000-000000000000"),
            metadata=metadata,
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await call
        LEDGER.error(failure.value.code().name)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "try again" in (failure.value.details() or "")
    await asyncio.to_thread(own_postgres.start)
    await list_and_create(library, "After")
