"""Reliability scenarios: real mesh processes, faults injected, nothing may be lost."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bench.client import MeshUser, register_user
from bench.recordings import speech_recording
from services.mesh.runner import Mesh
from tests.reliability.ledger import LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.scenarios:
        return
    terminalreporter.section("reliability summary")
    for line in LEDGER.lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def short_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four seconds of speech: enough for every stage to do real work, quickly."""
    return speech_recording(tmp_path_factory.mktemp("reliability"), 4, "short")


SignUp = Callable[[], Awaitable[MeshUser]]


@pytest.fixture
async def sign_up(mesh: Mesh) -> AsyncIterator[SignUp]:
    """Registers fresh users through Envoy; their connections close after the test."""
    users: list[MeshUser] = []

    async def new_user() -> MeshUser:
        user = await register_user(mesh, name="Rel")
        users.append(user)
        return user

    yield new_user
    for user in users:
        await user.close()
