"""The edge Envoy, for real: rendered config, gRPC-Web, REST, CORS and native gRPC to grpc.aio."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.mesh.envoy import (
    EnvoyConfigError,
    EnvoyEdgeSettings,
    EnvoyProcess,
    EnvoyStartError,
    UpstreamAddress,
    render_envoy_config,
    validate_config,
)
from services.mesh.processes import free_port
from tests.grpc_web import (
    grpc_status_of,
    grpc_web_frame,
    holds_a_whole_frame,
    parse_grpc_web_body,
)

AUTH_SERVICE = "speechflow.auth.v1.AuthService"
ALLOWED_ORIGIN = "http://localhost:5173"
GRPC_WEB_HEADERS = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}
WEB_PAGE = b"<!doctype html><title>SpeechFlow</title>"

# Only GetMe and GetSession have REST mappings; the other methods are gRPC-only.
TEST_PROTO = """
syntax = "proto3";
package speechflow.auth.v1;
import "google/api/annotations.proto";

message GetMeRequest {}
message GetMeResponse { string user_id = 1; string email = 2; }
message GetSessionRequest { string session_id = 1; }
message GetSessionResponse { string session_id = 1; }
message WatchTicksRequest {}
message WatchTicksResponse { int32 tick = 1; }
message EchoRequest { bytes payload = 1; }
message EchoResponse { bytes payload = 1; }

service AuthService {
  rpc GetMe(GetMeRequest) returns (GetMeResponse) {
    option (google.api.http) = { get: "/api/v1/auth/me" };
  }
  rpc GetSession(GetSessionRequest) returns (GetSessionResponse) {
    option (google.api.http) = { get: "/api/v1/auth/sessions/{session_id}" };
  }
  rpc WatchTicks(WatchTicksRequest) returns (stream WatchTicksResponse);
  rpc Echo(EchoRequest) returns (EchoResponse);
}
"""


def unused_upstream() -> UpstreamAddress:
    """A port nothing listens on, so the test never talks to another developer's service."""
    return UpstreamAddress("127.0.0.1", free_port())


def build_descriptor_set(workdir: Path) -> Path:
    (workdir / "auth.proto").write_text(TEST_PROTO, encoding="utf-8")
    # googleapis-common-protos ships google/api/annotations.proto next to its modules.
    google_api = importlib.util.find_spec("google.api")
    assert google_api is not None
    assert google_api.submodule_search_locations is not None
    googleapis_root = Path(next(iter(google_api.submodule_search_locations))).parent.parent
    output = workdir / "auth.binpb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{workdir}",
            f"-I{googleapis_root}",
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={output}",
            "auth.proto",
        ],
        check=True,
        cwd=workdir,
    )
    return output


class ProtoMessages:
    """Message classes of the test proto, built from the descriptor set Envoy also reads."""

    def __init__(self, descriptor_set: Path) -> None:
        files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
        self._pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self._pool.Add(file)

    def build(self, name: str, **fields: object) -> Message:
        descriptor = self._pool.FindMessageTypeByName(f"speechflow.auth.v1.{name}")
        message = message_factory.GetMessageClass(descriptor)()
        for key, value in fields.items():
            setattr(message, key, value)
        return message

    def parse(self, name: str, data: bytes) -> Any:
        """A dynamic message: its fields are only known at run time."""
        message = self.build(name)
        message.ParseFromString(data)
        return message


class AuthStandIn:
    """Raw-bytes handlers for speechflow.auth.v1.AuthService, as a generic gRPC handler."""

    def __init__(self, messages: ProtoMessages) -> None:
        self._messages = messages
        self.first_tick_seen = asyncio.Event()
        self.received_metadata: list[tuple[str, str | bytes]] = []

    async def get_me(
        self, request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
    ) -> bytes:
        self.received_metadata = list(context.invocation_metadata() or ())
        response = self._messages.build("GetMeResponse", user_id="u-1", email="ada@example.com")
        return response.SerializeToString()

    async def get_session(
        self, request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
    ) -> bytes:
        session_id = self._messages.parse("GetSessionRequest", request).session_id
        await context.abort(grpc.StatusCode.NOT_FOUND, f"document {session_id} not found")
        raise AssertionError("abort returns only by raising")

    async def watch_ticks(
        self, request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
    ) -> AsyncIterator[bytes]:
        yield self._messages.build("WatchTicksResponse", tick=1).SerializeToString()
        # Proves incremental delivery: the client must see tick 1 before tick 2 is produced.
        await asyncio.wait_for(self.first_tick_seen.wait(), timeout=10)
        yield self._messages.build("WatchTicksResponse", tick=2).SerializeToString()
        await asyncio.sleep(0.2)
        yield self._messages.build("WatchTicksResponse", tick=3).SerializeToString()

    async def echo(self, request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        payload = self._messages.parse("EchoRequest", request).payload
        return self._messages.build("EchoResponse", payload=payload).SerializeToString()

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            AUTH_SERVICE,
            {
                "GetMe": grpc.unary_unary_rpc_method_handler(self.get_me),
                "GetSession": grpc.unary_unary_rpc_method_handler(self.get_session),
                "WatchTicks": grpc.unary_stream_rpc_method_handler(self.watch_ticks),
                "Echo": grpc.unary_unary_rpc_method_handler(self.echo),
            },
        )


@dataclass(frozen=True)
class Edge:
    base_url: str
    grpc_target: str
    admin_url: str
    auth_port: int
    stand_in: AuthStandIn
    messages: ProtoMessages


@pytest.fixture
def descriptor_set(tmp_path: Path) -> Path:
    proto_dir = tmp_path / "proto"
    proto_dir.mkdir()
    return build_descriptor_set(proto_dir)


def edge_settings(
    descriptor_set: Path, auth: UpstreamAddress, web: UpstreamAddress
) -> EnvoyEdgeSettings:
    return EnvoyEdgeSettings(
        descriptor_set_path=descriptor_set,
        listen_port=free_port(),
        admin_port=free_port(),
        auth=auth,
        library=unused_upstream(),
        transcriber=unused_upstream(),
        summarizer=unused_upstream(),
        renderer=unused_upstream(),
        notifier=unused_upstream(),
        web=web,
        transcoder_services=(AUTH_SERVICE,),
        cors_allowed_origins=(ALLOWED_ORIGIN,),
    )


@pytest.fixture
def web_upstream(tmp_path: Path) -> Iterator[UpstreamAddress]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_bytes(WEB_PAGE)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield UpstreamAddress("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest_asyncio.fixture
async def edge(
    tmp_path: Path, descriptor_set: Path, web_upstream: UpstreamAddress
) -> AsyncIterator[Edge]:
    messages = ProtoMessages(descriptor_set)
    stand_in = AuthStandIn(messages)
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)])
    server.add_generic_rpc_handlers((stand_in.handler(),))
    health_servicer = health.aio.HealthServicer()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    auth_port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    settings = edge_settings(descriptor_set, UpstreamAddress("127.0.0.1", auth_port), web_upstream)
    try:
        async with EnvoyProcess() as envoy:
            await envoy.start(render_envoy_config(settings), tmp_path / "envoy")
            yield Edge(
                base_url=f"http://127.0.0.1:{settings.listen_port}",
                grpc_target=f"127.0.0.1:{settings.listen_port}",
                admin_url=envoy.admin_url,
                auth_port=auth_port,
                stand_in=stand_in,
                messages=messages,
            )
    finally:
        await server.stop(grace=None)


class NamedUpstream(grpc.GenericRpcHandler):
    """Answers every unary method of every service with its own name; has no health service."""

    def __init__(self, name: str) -> None:
        self._name = name.encode()

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        return grpc.unary_unary_rpc_method_handler(self._answer)

    async def _answer(
        self, request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
    ) -> bytes:
        return self._name


async def cluster_health(admin_url: str, cluster: str) -> str:
    async with httpx.AsyncClient(base_url=admin_url) as client:
        clusters = (await client.get("/clusters")).text
    flags = [
        line
        for line in clusters.splitlines()
        if line.startswith(f"{cluster}::") and "::health_flags::" in line
    ]
    return flags[0].rsplit("::", 1)[1] if flags else ""


def test_rendered_config_passes_envoy_validation(descriptor_set: Path, tmp_path: Path) -> None:
    settings = edge_settings(descriptor_set, unused_upstream(), unused_upstream())
    config = tmp_path / "envoy.yaml"
    config.write_text(render_envoy_config(settings), encoding="utf-8")

    validate_config(config)


def test_validation_reports_envoys_reason_for_rejecting_a_config(
    descriptor_set: Path, tmp_path: Path
) -> None:
    settings = edge_settings(descriptor_set, unused_upstream(), unused_upstream())
    settings = replace(settings, transcoder_services=("speechflow.auth.v1.NoSuchService",))
    config = tmp_path / "envoy.yaml"
    config.write_text(render_envoy_config(settings), encoding="utf-8")

    with pytest.raises(
        EnvoyConfigError, match=r"Could not find 'speechflow\.auth\.v1\.NoSuchService'"
    ):
        validate_config(config)


@pytest.mark.asyncio
async def test_envoy_that_exits_at_startup_raises_with_its_log(
    descriptor_set: Path, tmp_path: Path
) -> None:
    settings = edge_settings(descriptor_set, unused_upstream(), unused_upstream())
    settings = replace(settings, transcoder_services=("speechflow.auth.v1.NoSuchService",))

    async with EnvoyProcess() as envoy:
        with pytest.raises(EnvoyStartError, match="NoSuchService"):
            await envoy.start(render_envoy_config(settings), tmp_path / "envoy")


@pytest.mark.asyncio
async def test_grpc_web_unary_call_reaches_the_service(edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as client:
        response = await client.post(
            f"/{AUTH_SERVICE}/GetMe",
            content=grpc_web_frame(b""),
            headers={**GRPC_WEB_HEADERS, "origin": ALLOWED_ORIGIN},
        )

    reply = parse_grpc_web_body(response.content)
    assert response.status_code == 200
    assert grpc_status_of(response, reply) == ("0", "")
    assert len(reply.messages) == 1
    me = edge.messages.parse("GetMeResponse", reply.messages[0])
    assert me.email == "ada@example.com"
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "grpc-status" in response.headers["access-control-expose-headers"]


@pytest.mark.asyncio
async def test_grpc_web_error_carries_status_and_message(edge: Edge) -> None:
    request = edge.messages.build("GetSessionRequest", session_id="x").SerializeToString()
    async with httpx.AsyncClient(base_url=edge.base_url) as client:
        response = await client.post(
            f"/{AUTH_SERVICE}/GetSession", content=grpc_web_frame(request), headers=GRPC_WEB_HEADERS
        )

    reply = parse_grpc_web_body(response.content)
    assert response.status_code == 200
    assert reply.messages == []
    assert grpc_status_of(response, reply) == ("5", "document x not found")


@pytest.mark.asyncio
async def test_grpc_web_server_stream_arrives_incrementally_and_completely(edge: Edge) -> None:
    body = bytearray()
    async with (
        httpx.AsyncClient(base_url=edge.base_url) as client,
        client.stream(
            "POST",
            f"/{AUTH_SERVICE}/WatchTicks",
            content=grpc_web_frame(b""),
            headers=GRPC_WEB_HEADERS,
            timeout=30,
        ) as response,
    ):
        async for chunk in response.aiter_raw():
            body.extend(chunk)
            if holds_a_whole_frame(body):
                edge.stand_in.first_tick_seen.set()
    reply = parse_grpc_web_body(bytes(body))
    ticks = [edge.messages.parse("WatchTicksResponse", m).tick for m in reply.messages]

    assert ticks == [1, 2, 3]
    assert reply.trailers.get("grpc-status") == "0"


@pytest.mark.asyncio
async def test_grpc_web_accepts_a_four_mebibyte_upload_chunk(edge: Edge) -> None:
    chunk = bytes(range(256)) * (4 * 1024 * 4 + 1)  # a little over 4 MiB
    request = edge.messages.build("EchoRequest", payload=chunk).SerializeToString()
    async with httpx.AsyncClient(base_url=edge.base_url, timeout=30) as client:
        response = await client.post(
            f"/{AUTH_SERVICE}/Echo", content=grpc_web_frame(request), headers=GRPC_WEB_HEADERS
        )

    reply = parse_grpc_web_body(response.content)
    assert grpc_status_of(response, reply) == ("0", "")
    assert edge.messages.parse("EchoResponse", reply.messages[0]).payload == chunk


@pytest.mark.asyncio
async def test_preflight_answers_only_allowed_origins(edge: Edge) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-grpc-web,x-user-agent,authorization",
    }
    async with httpx.AsyncClient(base_url=edge.base_url) as client:
        for path in (f"/{AUTH_SERVICE}/GetMe", "/api/v1/auth/me"):
            allowed = await client.options(path, headers={**preflight, "origin": ALLOWED_ORIGIN})
            denied = await client.options(
                path, headers={**preflight, "origin": "http://evil.example"}
            )

            assert allowed.is_success, path
            assert allowed.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN, path
            assert "x-grpc-web" in allowed.headers.get("access-control-allow-headers", ""), path
            assert "access-control-allow-origin" not in denied.headers, path


@pytest.mark.asyncio
async def test_native_grpc_passes_through_the_edge(edge: Edge) -> None:
    async with grpc.aio.insecure_channel(edge.grpc_target) as channel:
        get_me: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
            f"/{AUTH_SERVICE}/GetMe"
        )
        watch: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(
            f"/{AUTH_SERVICE}/WatchTicks"
        )
        get_session: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
            f"/{AUTH_SERVICE}/GetSession"
        )
        request = edge.messages.build("GetSessionRequest", session_id="x").SerializeToString()

        me = edge.messages.parse("GetMeResponse", await get_me(b"", timeout=10))
        edge.stand_in.first_tick_seen.set()
        ticks = [
            edge.messages.parse("WatchTicksResponse", m).tick async for m in watch(b"", timeout=10)
        ]
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await get_session(request, timeout=10)

    assert me.user_id == "u-1"
    assert ticks == [1, 2, 3]
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert failure.value.details() == "document x not found"


@pytest.mark.asyncio
async def test_rest_get_is_transcoded_to_the_auth_service(edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as client:
        response = await client.get("/api/v1/auth/me", headers={"authorization": "Bearer t0k"})

    assert response.status_code == 200
    assert response.json() == {"user_id": "u-1", "email": "ada@example.com"}
    assert ("authorization", "Bearer t0k") in edge.stand_in.received_metadata


@pytest.mark.asyncio
async def test_rest_errors_become_http_statuses_with_json_bodies(edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as client:
        not_found = await client.get("/api/v1/auth/sessions/x")
        unmapped = await client.get("/api/v1/nothing-here")
        unknown_query = await client.get("/api/v1/auth/me?bogus=1")

    assert not_found.status_code == 404
    assert not_found.json()["message"] == "document x not found"
    assert not_found.json()["code"] == 5
    assert unmapped.status_code == 404
    assert unknown_query.status_code == 400


@pytest.mark.asyncio
async def test_other_paths_are_served_by_the_web_upstream(edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as client:
        page = await client.get("/")

    assert page.status_code == 200
    assert page.content == WEB_PAGE


@pytest.mark.asyncio
async def test_upstream_is_health_checked_with_grpc_health(edge: Edge) -> None:
    # Envoy reports ready only after the first round of health checks.
    assert await cluster_health(edge.admin_url, "auth") == "healthy"


@pytest.mark.asyncio
async def test_every_package_reaches_its_upstream_even_when_health_checks_fail(
    tmp_path: Path, descriptor_set: Path
) -> None:
    names = ("auth", "library", "transcriber", "summarizer", "renderer", "notifier")
    servers = [grpc.aio.server() for _ in names]
    ports: dict[str, int] = {}
    for name, server in zip(names, servers, strict=True):
        server.add_generic_rpc_handlers((NamedUpstream(name),))
        ports[name] = server.add_insecure_port("127.0.0.1:0")
        await server.start()
    settings = EnvoyEdgeSettings(
        descriptor_set_path=descriptor_set,
        listen_port=free_port(),
        admin_port=free_port(),
        transcoder_services=(AUTH_SERVICE,),
        web=unused_upstream(),
        auth=UpstreamAddress("127.0.0.1", ports["auth"]),
        library=UpstreamAddress("127.0.0.1", ports["library"]),
        transcriber=UpstreamAddress("127.0.0.1", ports["transcriber"]),
        summarizer=UpstreamAddress("127.0.0.1", ports["summarizer"]),
        renderer=UpstreamAddress("127.0.0.1", ports["renderer"]),
        notifier=UpstreamAddress("127.0.0.1", ports["notifier"]),
    )
    calls = {
        "/speechflow.auth.v1.AuthService/Login": "auth",
        "/speechflow.library.v1.LibraryService/ListFolders": "library",
        "/speechflow.library.v1.JobsService/ListJobs": "library",
        "/speechflow.transcriber.v1.TranscriberService/Transcribe": "transcriber",
        "/speechflow.summarizer.v1.SummarizerService/Summarize": "summarizer",
        "/speechflow.renderer.v1.RendererService/Render": "renderer",
        "/speechflow.notifier.v1.NotifierService/Notify": "notifier",
    }
    answers: dict[str, str] = {}
    try:
        async with EnvoyProcess() as envoy:
            await envoy.start(render_envoy_config(settings), tmp_path / "envoy")
            # No upstream implements grpc.health.v1, so the first check (before ready) failed.
            library_health = await cluster_health(envoy.admin_url, "library")
            async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.listen_port}") as channel:
                for method in calls:
                    call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                        method
                    )
                    answers[method] = (await call(b"", timeout=10)).decode()
    finally:
        for server in servers:
            await server.stop(grace=None)

    assert library_health == "/failed_active_hc"
    assert answers == calls
