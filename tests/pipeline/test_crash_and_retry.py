"""A provider that fails twice is retried with backoff until it succeeds (stage crashes are
covered by tests/reliability/test_stage_crashes.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.mesh.services import ServiceProcess
from speechflow.library.v1 import library_pb2
from tests.notifier.stand_in_resend_server import running_stand_in_resend
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
        finally:
            await asyncio.to_thread(flaky.stop)
            await asyncio.to_thread(notifier.start)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    sends = [r for r in resend.requests if client.email in str(r.body.get("to"))]
    assert len(sends) == 3  # two failures, then the one that went through
    assert len({r.headers["idempotency-key"] for r in sends}) == 1
