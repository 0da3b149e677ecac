from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import grpc.aio
import pytest

from services.auth.app import start_auth
from services.auth.settings import AuthSettings
from services.kernel.app import ServiceApp
from services.mesh.nats_server import NatsServer
from speechflow.auth.v1 import auth_pb2_grpc


@dataclass
class Clock:
    """A clock the test moves by hand, so expiry is tested without waiting."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class AuthHarness:
    app: ServiceApp
    stub: auth_pb2_grpc.AuthServiceAsyncStub
    settings: AuthSettings
    clock: Clock


def auth_settings(tmp_path: Path, nats_url: str, database_url: str) -> AuthSettings:
    return AuthSettings(
        data_dir=tmp_path,
        nats_url=nats_url,
        database_url=database_url,
        grpc_port=0,
        bcrypt_cost=4,  # keep tests fast; production default is 10
        signing_key_file=tmp_path / "keys" / "jwt.pem",
        jwt_public_key_file=tmp_path / "keys" / "jwt.pub.pem",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def auth(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServer
) -> AsyncIterator[AuthHarness]:
    database_url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    settings = auth_settings(tmp_path, nats_server.url, database_url)
    async with running_auth(settings, Clock(datetime.now(UTC))) as harness:
        yield harness


@asynccontextmanager
async def running_auth(settings: AuthSettings, clock: Clock) -> AsyncIterator[AuthHarness]:
    """Auth started in-process on a free port, with a client stub; stopped on the way out."""
    app = await start_auth(settings, clock=clock)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
    try:
        yield AuthHarness(app, auth_pb2_grpc.AuthServiceStub(channel), settings, clock)
    finally:
        await channel.close()
        await app.stop(grace=1)
