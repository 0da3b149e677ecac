"""Nothing accepted is lost: a stage killed mid-job finishes after restart, and a provider
that fails twice is retried with backoff until it succeeds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.mesh.services import ServiceProcess
from speechflow.library.v1 import library_pb2
from speechflow.transcriber.v1 import transcriber_pb2
from tests import media
from tests.notifier.stand_in_resend_server import running_stand_in_resend
from tests.pipeline.conftest import ENGLISH, Client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sentences = [s.strip() + "." for s in ENGLISH.split(".") if s.strip()]
    return media.synthesize_long_speech(
        sentences, tmp_path_factory.mktemp("long") / "long.flac", seconds=240
    )


async def test_transcriber_killed_mid_job_completes_after_restart(
    client: Client, long_speech: Path
) -> None:
    transcriber = client.mesh.services["transcriber"]
    document = await client.upload(long_speech, language="en")
    for _ in range(600):  # up to 60 s for the job to start
        info = await client.transcriber.GetInfo(
            transcriber_pb2.GetInfoRequest(), metadata=client.metadata
        )
        if info.jobs_in_progress:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the transcriber never started the job")
    await asyncio.to_thread(transcriber.kill)  # SIGKILL, as a crash
    await asyncio.to_thread(transcriber.start)
    states = await client.watch(document.id)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    pdf = await client.download(document.id, library_pb2.FILE_KIND_PDF)
    assert pdf.startswith(b"%PDF")
    assert len(client.emails()) == 1


async def test_email_provider_failing_twice_is_retried_until_it_succeeds(
    client: Client, english_speech: Path
) -> None:
    notifier = client.mesh.services["notifier"]
    with running_stand_in_resend() as resend:
        resend.fail_first = 2
        await asyncio.to_thread(notifier.stop)
        flaky = ServiceProcess(
            notifier.definition,
            notifier.port,
            notifier.workdir,
            {
                **client.mesh.service_environment(),
                "RESEND_API_KEY": "re_test_key",
                "RESEND_API_URL": resend.url,
            },
            notifier.working_directory(),
        )
        try:
            await asyncio.to_thread(flaky.start)
            document = await client.upload(english_speech, language="en")
            states = await client.watch(document.id)
        finally:
            await asyncio.to_thread(flaky.stop)
            await asyncio.to_thread(notifier.start)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    sends = [r for r in resend.requests if client.email in str(r.body.get("to"))]
    assert len(sends) == 3  # two failures, then the one that went through
    assert len({r.headers["idempotency-key"] for r in sends}) == 1
