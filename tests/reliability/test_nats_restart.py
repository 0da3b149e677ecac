"""nats-server restarted (file storage) while jobs are in the pipeline: all of them complete,
each with one PDF and one email."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.mesh.runner import Mesh
from tests.reliability.checks import assert_delivered_once
from tests.reliability.conftest import SignUp
from tests.reliability.ledger import LEDGER

pytestmark = pytest.mark.slow

JOBS = 3


async def test_jobs_in_flight_complete_after_nats_restarts(
    mesh: Mesh, sign_up: SignUp, short_speech: Path
) -> None:
    LEDGER.scenario("restart nats-server mid-pipeline")
    assert mesh.nats is not None
    users = [await sign_up() for _ in range(JOBS)]
    data = short_speech.read_bytes()
    documents = [await u.upload(data, short_speech.name, language="en") for u in users]
    LEDGER.submitted(JOBS)
    first = users[0].watch(documents[0].id)
    await first.__anext__()  # the pipeline has started on the first job
    await asyncio.to_thread(mesh.nats.restart)
    for user, document in zip(users, documents, strict=True):
        await assert_delivered_once(mesh, user, document.id)
