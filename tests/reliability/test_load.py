"""Many users at once, each: register, upload a short recording, watch it to the end and
download the PDF -> no errors, no lost jobs, no duplicate emails.

CI runs 10 users to stay fast (the bench's figure for 50 comes from `make bench`-sized
loads); override with RELIABILITY_LOAD_USERS."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from bench.journey import emails_to, user_journey
from services.mesh.runner import Mesh
from tests.reliability.checks import wait_until_pipeline_quiet
from tests.reliability.ledger import LEDGER

pytestmark = pytest.mark.slow

USERS = int(os.environ.get("RELIABILITY_LOAD_USERS", "10"))
LOAD_TIMEOUT_SECONDS = 240


async def test_concurrent_users_all_get_their_report_and_one_email(
    mesh: Mesh, short_speech: Path
) -> None:
    LEDGER.scenario(f"load: {USERS} concurrent users")
    data = short_speech.read_bytes()
    started = time.perf_counter()
    async with asyncio.timeout(LOAD_TIMEOUT_SECONDS):
        outcomes = await asyncio.gather(
            *(user_journey(mesh, data, short_speech.name) for _ in range(USERS)),
            return_exceptions=True,
        )
    elapsed = time.perf_counter() - started
    LEDGER.submitted(USERS)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    for error in errors:
        LEDGER.error(type(error).__name__)
    LEDGER.completed(USERS - len(errors))
    assert errors == []
    await wait_until_pipeline_quiet(mesh)
    emails = {str(address): emails_to(mesh, str(address)) for address in outcomes}
    assert set(emails.values()) == {1}, emails
    LEDGER.figures.append(
        f"load: {USERS} users, {USERS} jobs in {elapsed:.1f} s "
        f"({USERS / elapsed * 3600:.0f} jobs/h), 0 errors"
    )
