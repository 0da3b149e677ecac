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


# Where the database and the object store matter, a test also runs on PostgreSQL + S3:
# `@ON_BOTH_STORES` and the `target_mesh` fixture instead of `mesh`.
ON_BOTH_STORES = pytest.mark.parametrize(
    "target_mesh",
    [
        pytest.param("mesh", id="sqlite-local"),
        pytest.param("mesh_postgres_s3", id="postgres-s3", marks=pytest.mark.postgres),
    ],
    indirect=True,
)


@pytest.fixture
def target_mesh(request: pytest.FixtureRequest) -> Mesh:
    """The session mesh named by the test's parameter (default: SQLite + local disk)."""
    found: Mesh = request.getfixturevalue(getattr(request, "param", "mesh"))
    return found


@pytest.fixture
async def sign_up(target_mesh: Mesh) -> AsyncIterator[SignUp]:
    """Registers fresh users through Envoy; their connections close after the test."""
    users: list[MeshUser] = []

    async def new_user() -> MeshUser:
        user = await register_user(target_mesh, name="Rel")
        users.append(user)
        return user

    yield new_user
    for user in users:
        await user.close()
