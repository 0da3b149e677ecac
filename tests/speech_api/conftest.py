from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.mesh.runner import Mesh
from tests import media

PASSWORD = "correct horse battery"


@dataclass
class KeyHolder:
    """A user of the running mesh with an API key, as a script would have."""

    email: str
    access_token: str
    api_key: str


@pytest.fixture
async def edge(mesh: Mesh) -> AsyncIterator[httpx.AsyncClient]:
    base = f"http://127.0.0.1:{mesh.settings.envoy_port}"
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        yield http


@pytest.fixture
async def holder(edge: httpx.AsyncClient) -> KeyHolder:
    email = f"o-{uuid.uuid4().hex[:8]}@example.com"
    registered = await edge.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Oona"}
    )
    assert registered.status_code == 200, registered.text
    access = registered.json()["tokens"]["access_token"]
    created = await edge.post(
        "/api/v1/auth/me/apiKeys",
        json={"name": "openai sdk"},
        headers={"authorization": f"Bearer {access}"},
    )
    assert created.status_code == 200, created.text
    return KeyHolder(email, access, created.json()["secret"])


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "Hello from the speech API test. We decided to ship on Monday.",
        tmp_path_factory.mktemp("speech_api") / "hello.wav",
    )
