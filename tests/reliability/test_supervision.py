"""`make up` keeps its services alive and stops them cleanly: a service killed with SIGKILL
is restarted by the runner (with what its crash left behind swept away) and the pipeline
carries on; SIGTERM lets an idle service exit by itself within its grace period."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from services.mesh.runner import Mesh
from services.mesh.services import DEFAULT_SHUTDOWN_GRACE_SECONDS
from tests.reliability.checks import assert_delivered_once
from tests.reliability.conftest import ON_BOTH_STORES, SignUp
from tests.reliability.ledger import LEDGER

pytestmark = pytest.mark.slow

RESTART_TIMEOUT_SECONDS = 180
STALE_SECONDS = 3600


def plant_stale_file(path: Path) -> Path:
    """A temporary file as a crashed run leaves it: nobody has written it for an hour."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half of something")
    an_hour_ago = time.time() - STALE_SECONDS
    os.utime(path, (an_hour_ago, an_hour_ago))
    return path


async def crash_and_wait_for_restart(mesh: Mesh, name: str) -> None:
    """SIGKILL from outside (as the OOM killer would), then wait for the runner to bring the
    service back; `recover` returns only once the new process reports SERVING."""
    assert mesh.supervisor is not None
    process = mesh.services[name]
    restarts = mesh.supervisor.restarts.get(name, 0)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    async with asyncio.timeout(RESTART_TIMEOUT_SECONDS):
        while True:
            if mesh.supervisor.restarts.get(name, 0) > restarts:
                break
            await asyncio.sleep(0.1)
    assert process.is_running()


@ON_BOTH_STORES
async def test_a_killed_transcriber_is_restarted_and_a_document_still_completes(
    target_mesh: Mesh, sign_up: SignUp, short_speech: Path
) -> None:
    mesh = target_mesh
    LEDGER.scenario("SIGKILL transcriber, runner restarts it")
    stale = plant_stale_file(mesh.data_dir / "spool" / "transcriber" / "tmpcrashed.media")
    await crash_and_wait_for_restart(mesh, "transcriber")
    assert not stale.exists()
    user = await sign_up()
    document = await user.upload(short_speech.read_bytes(), short_speech.name, language="en")
    LEDGER.submitted()
    await assert_delivered_once(mesh, user, document.id)


async def test_a_restarted_notifier_sweeps_the_email_it_never_finished(mesh: Mesh) -> None:
    outbox = mesh.data_dir / "outbox"
    stale = plant_stale_file(outbox / ".crashed.eml.tmp")
    # Younger than a minute: possibly being written by another process, so it stays.
    fresh = outbox / ".being-written.eml.tmp"
    fresh.write_bytes(b"")
    await crash_and_wait_for_restart(mesh, "notifier")
    assert not stale.exists()
    assert fresh.exists()
    fresh.unlink()


async def test_sigterm_lets_an_idle_service_exit_by_itself_within_its_grace(mesh: Mesh) -> None:
    process = mesh.services["summarizer"]
    # The runner waits grace + a margin; here only the grace before it would SIGKILL.
    process.stop_grace = DEFAULT_SHUTDOWN_GRACE_SECONDS
    try:
        await asyncio.to_thread(process.stop)
        assert process.last_exit_code == 0, "SIGKILLed: shutdown outlasted the grace period"
    finally:
        await asyncio.to_thread(process.start)
