"""A pipeline stage SIGKILLed while it holds a job: after a restart the job completes, with
exactly one PDF and one email.

"Holds a job" is made deterministic by freezing the stage (SIGSTOP) before the job reaches
it and killing it only once JetStream reports the job handed to it and not acknowledged; if
its pull request happened to expire first, the attempt is thawed, left to finish (it must
still deliver once) and repeated."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest

from services.mesh.runner import Mesh
from services.mesh.services import ServiceProcess
from tests.reliability.checks import STAGES, assert_delivered_once, consumer_backlog
from tests.reliability.conftest import SignUp
from tests.reliability.ledger import LEDGER

pytestmark = pytest.mark.slow

ATTEMPTS = 4
HANDED_OUT_TIMEOUT_SECONDS = 12.0


def freeze(process: ServiceProcess) -> int:
    """SIGSTOP: the process keeps its connections (and any job handed to it) but does nothing."""
    assert process.pid is not None
    os.kill(process.pid, signal.SIGSTOP)
    return process.pid


def thaw(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already killed
        os.kill(pid, signal.SIGCONT)


async def job_handed_out(mesh: Mesh, stage: str) -> bool:
    """True once the frozen stage holds an unacknowledged job; False if it stays queued."""
    try:
        async with asyncio.timeout(HANDED_OUT_TIMEOUT_SECONDS):
            while True:
                _, held = await consumer_backlog(mesh, stage)
                if held:
                    return True
                await asyncio.sleep(0.05)
    except TimeoutError:
        return False


@pytest.mark.parametrize("stage", STAGES)
async def test_stage_killed_holding_a_job_completes_it_once_after_restart(
    mesh: Mesh, sign_up: SignUp, short_speech: Path, stage: str
) -> None:
    LEDGER.scenario(f"SIGKILL {stage} mid-job")
    process = mesh.services[stage]
    data = short_speech.read_bytes()
    for _ in range(ATTEMPTS):
        user = await sign_up()
        pid = freeze(process)
        try:
            document = await user.upload(data, short_speech.name, language="en")
            LEDGER.submitted()
            killed = await job_handed_out(mesh, stage)
            if killed:
                await asyncio.to_thread(process.kill)
        finally:
            thaw(pid)
        if killed:
            await asyncio.to_thread(process.start)
        await assert_delivered_once(mesh, user, document.id)
        if killed:
            return
    pytest.fail(f"{stage} never held a job while frozen in {ATTEMPTS} attempts")
