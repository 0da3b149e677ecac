from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.auth.admin import promote_admin
from services.auth.settings import AuthSettings
from services.mesh.runner import Mesh

PASSWORD = "correct horse battery"


@dataclass
class RestUser:
    email: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.access}"}


@dataclass
class Rest:
    """A JSON client of the edge, as scripts and curl see it."""

    mesh: Mesh
    http: httpx.AsyncClient

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.mesh.settings.envoy_port}"

    async def register(self, *, admin: bool = False) -> RestUser:
        email = f"r-{uuid.uuid4().hex[:8]}@example.com"
        body: dict[str, Any] = {"email": email, "password": PASSWORD, "name": "Rae"}
        response = await self.http.post("/api/v1/auth/register", json=body)
        assert response.status_code == 200, response.text
        if admin:
            await promote_admin(AuthSettings(data_dir=self.mesh.data_dir, database_url=""), email)
            response = await self.http.post(
                "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            )
        tokens = response.json()["tokens"]
        return RestUser(email, tokens["access_token"], tokens["refresh_token"])


@pytest.fixture
async def rest(mesh: Mesh) -> AsyncIterator[Rest]:
    base = f"http://127.0.0.1:{mesh.settings.envoy_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        yield Rest(mesh, http)
