"""A provider that fails twice is retried with backoff until it succeeds; one that refuses
the email leaves the finished document finished; a document deleted mid-transcription leaves
nothing behind (stage crashes are covered by tests/reliability/test_stage_crashes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from services.mesh.services import ServiceProcess
from speechflow.library.v1 import library_pb2
from speechflow.transcriber.v1 import transcriber_pb2
from tests.notifier.stand_in_resend_server import StandInResend, running_stand_in_resend
from tests.pipeline.conftest import Client

pytestmark = pytest.mark.slow


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
            # COMPLETED once the PDF exists; the email's retries go on after it.
            notified = await client.notified(document.id)
        finally:
            await asyncio.to_thread(flaky.stop)
            await asyncio.to_thread(notifier.start)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    assert notified.notification_state == library_pb2.NOTIFICATION_STATE_SENT
    sends = [r for r in resend.requests if client.email in str(r.body.get("to"))]
    assert len(sends) == 3  # two failures, then the one that went through
    assert len({r.headers["idempotency-key"] for r in sends}) == 1


@asynccontextmanager
async def notifier_sending_through(client: Client, resend: StandInResend) -> AsyncIterator[None]:
    """The mesh's notifier, restarted to send through the stand-in provider."""
    notifier = client.mesh.services["notifier"]
    await asyncio.to_thread(notifier.stop)
    replaced = ServiceProcess(
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
        await asyncio.to_thread(replaced.start)
        yield
    finally:
        await asyncio.to_thread(replaced.stop)
        await asyncio.to_thread(notifier.start)


async def test_a_refused_email_leaves_the_finished_document_completed(
    client: Client, english_speech: Path
) -> None:
    # Bug (e): the notifier giving up used to mark a document FAILED although its PDF exists.
    with running_stand_in_resend() as resend:
        resend.status = 422  # a permanent refusal: the notifier gives up at once
        async with notifier_sending_through(client, resend):
            document = await client.upload(english_speech, language="en")
            states = await client.watch(document.id)
            notified = await client.notified(document.id)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    assert notified.notification_state == library_pb2.NOTIFICATION_STATE_FAILED
    assert notified.status == library_pb2.DOCUMENT_STATUS_COMPLETED
    assert notified.has_pdf
    assert [r for r in resend.requests if client.email in str(r.body.get("to"))]


async def transcriber_info(client: Client) -> transcriber_pb2.GetInfoResponse:
    return await client.transcriber.GetInfo(
        transcriber_pb2.GetInfoRequest(), metadata=client.metadata
    )


async def test_a_document_deleted_mid_transcription_leaves_nothing_and_sends_nothing(
    client: Client, english_speech: Path
) -> None:
    # Bug (b): the late transcription recreated the transcript, summary and PDF of a deleted
    # document and emailed a link to them.
    document = await client.upload(english_speech, language="en")
    for _ in range(POLLS):  # until the transcriber has taken the job
        if (await transcriber_info(client)).jobs_in_progress > 0:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the transcriber never took the job")
    await client.library.DeleteDocument(
        library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=client.metadata
    )
    for _ in range(POLLS):  # until the late transcription is over
        if (await transcriber_info(client)).jobs_in_progress == 0:
            break
        await asyncio.sleep(0.05)
    # What the late stage wrote (if it wrote anything) is swept once its event is applied.
    for _ in range(POLLS):
        if not client.stored_objects(document.id):
            break
        await asyncio.sleep(0.05)
    assert client.stored_objects(document.id) == []
    assert client.emails() == []


POLLS = 1200
