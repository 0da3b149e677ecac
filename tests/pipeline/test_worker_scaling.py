"""A second transcriber process shares the work through the durable consumer: every job
completes and none runs twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc.aio
import pytest

from services.mesh.processes import free_port
from services.mesh.services import ServiceProcess
from speechflow.library.v1 import library_pb2
from speechflow.transcriber.v1 import transcriber_pb2, transcriber_pb2_grpc
from tests.pipeline.conftest import Client

pytestmark = pytest.mark.slow
JOBS = 4


async def completed_jobs(address: str, metadata: tuple[tuple[str, str], ...]) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = transcriber_pb2_grpc.TranscriberServiceStub(channel)
        info = await stub.GetInfo(transcriber_pb2.GetInfoRequest(), metadata=metadata)
        return int(info.jobs_completed)


async def test_two_transcribers_share_the_jobs_without_doing_any_twice(
    client: Client, english_speech: Path
) -> None:
    first = client.mesh.services["transcriber"]
    second = ServiceProcess(
        first.definition,
        free_port(),
        first.workdir / "second",
        client.mesh.service_environment(),
        first.working_directory(),
    )
    await asyncio.to_thread(second.start)
    try:
        before = [await completed_jobs(p.address, client.metadata) for p in (first, second)]
        documents = await asyncio.gather(
            *(client.upload(english_speech, language="en") for _ in range(JOBS))
        )
        finals = await asyncio.gather(*(client.watch(d.id) for d in documents))
        assert all(f[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED for f in finals)
        after = [await completed_jobs(p.address, client.metadata) for p in (first, second)]
    finally:
        await asyncio.to_thread(second.stop)
    done = [a - b for a, b in zip(after, before, strict=True)]
    assert sum(done) == JOBS  # each job transcribed exactly once, by one of the two
    for document in documents:
        await client.notified(document.id)
    assert len(client.emails()) == JOBS
