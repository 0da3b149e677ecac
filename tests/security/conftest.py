"""Auth behind the real edge Envoy (rendered from envoy/envoy.yaml.tmpl), on SQLite and
PostgreSQL, with limits small enough to reach in a test; the mesh-wide checks use the
session mesh from tests/fixtures/mesh.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest

from services.auth.app import start_auth
from services.auth.settings import AuthSettings
from services.kernel.app import ServiceApp
from services.mesh.envoy import (
    EnvoyEdgeSettings,
    EnvoyProcess,
    UpstreamAddress,
    render_envoy_config,
)
from services.mesh.nats_server import NatsServer
from services.mesh.processes import free_port
from services.mesh.runner import DESCRIPTOR, Mesh
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from tests.auth.conftest import Clock, auth_settings

# The browser, its profile and the built web app, launched as tests/web does.
from tests.web.conftest import app_url, browser, context, page, web_app  # noqa: F401

PASSWORD = "correct horse battery"


@dataclass
class EdgeAuth:
    """Auth reached through Envoy (`stub`) and directly on its own port (`direct`)."""

    app: ServiceApp
    settings: AuthSettings
    clock: Clock
    stub: auth_pb2_grpc.AuthServiceAsyncStub
    direct: auth_pb2_grpc.AuthServiceAsyncStub
    base_url: str

    async def register(self, email: str) -> auth_pb2.RegisterResponse:
        return await self.stub.Register(
            auth_pb2.RegisterRequest(email=email, password=PASSWORD, name="Sam")
        )


StartEdge = Callable[..., Awaitable[EdgeAuth]]


def _unused() -> UpstreamAddress:
    return UpstreamAddress("127.0.0.1", free_port())


@asynccontextmanager
async def _edge_auth(
    tmp_path: Path, nats_url: str, database_url: str, xff_hops: int, overrides: dict[str, Any]
) -> AsyncIterator[EdgeAuth]:
    settings = auth_settings(tmp_path, nats_url, database_url).model_copy(update=overrides)
    clock = Clock(datetime.now(UTC))
    async with AsyncExitStack() as stack:
        app = await start_auth(settings, clock=clock)
        stack.push_async_callback(app.stop, 1)
        edge = EnvoyEdgeSettings(
            descriptor_set_path=DESCRIPTOR,
            listen_port=free_port(),
            admin_port=free_port(),
            auth=UpstreamAddress("127.0.0.1", app.port),
            library=_unused(),
            transcriber=_unused(),
            summarizer=_unused(),
            renderer=_unused(),
            notifier=_unused(),
            web=_unused(),
            apidocs=_unused(),
            xff_num_trusted_hops=xff_hops,
        )
        envoy = await stack.enter_async_context(EnvoyProcess())
        await envoy.start(render_envoy_config(edge), tmp_path / f"envoy-{edge.listen_port}")
        through_edge = grpc.aio.insecure_channel(f"127.0.0.1:{edge.listen_port}")
        direct = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
        stack.push_async_callback(through_edge.close)
        stack.push_async_callback(direct.close)
        yield EdgeAuth(
            app=app,
            settings=settings,
            clock=clock,
            stub=auth_pb2_grpc.AuthServiceStub(through_edge),
            direct=auth_pb2_grpc.AuthServiceStub(direct),
            base_url=f"http://127.0.0.1:{edge.listen_port}",
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def start_edge(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServer
) -> AsyncIterator[StartEdge]:
    """`await start_edge(xff_hops=0, **auth_setting_overrides)`; stopped after the test."""
    database_url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    async with AsyncExitStack() as stack:

        async def start(xff_hops: int = 0, **overrides: Any) -> EdgeAuth:
            return await stack.enter_async_context(
                _edge_auth(tmp_path, nats_server.url, database_url, xff_hops, overrides)
            )

        yield start


async def outcome(call: Awaitable[Any]) -> grpc.StatusCode:
    """The status a call ended with (OK when it succeeded)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@dataclass
class MeshUser:
    email: str
    tokens: auth_pb2.Tokens


@pytest.fixture
async def edge_channel(mesh: Mesh) -> AsyncIterator[grpc.aio.Channel]:
    """Native gRPC to the mesh's Envoy."""
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{mesh.settings.envoy_port}")
    yield channel
    await channel.close()


async def register_through_edge(channel: grpc.aio.Channel) -> MeshUser:
    email = f"sec-{uuid.uuid4().hex[:10]}@example.com"
    reply = await auth_pb2_grpc.AuthServiceStub(channel).Register(
        auth_pb2.RegisterRequest(email=email, password=PASSWORD, name="Sam")
    )
    return MeshUser(email, reply.tokens)
