"""Composition root of the speech API: settings -> library client -> HTTP app, beside a gRPC
server for health (what the mesh and Envoy check, like every service)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from services.kernel.app import ServiceApp
from services.kernel.server import ServiceSpec, start_server
from services.kernel.worker import verifier_for
from services.speech_api.http_app import SpeechApi, build_app
from services.speech_api.library_client import LibraryClient
from services.speech_api.settings import SpeechApiSettings


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our own event loop: shutdown comes from ServiceApp.stop (run_service
    owns SIGTERM), not from uvicorn's signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound before uvicorn starts, so port 0 (tests) tells us the port it got."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


async def start_speech_api(settings: SpeechApiSettings) -> ServiceApp:
    library = LibraryClient(settings.library_address)
    api = SpeechApi(
        library=library,
        verifier=verifier_for(settings),
        max_upload_bytes=settings.max_upload_bytes,
        timeout_seconds=settings.transcription_timeout_seconds,
    )
    sock = _listening_socket(settings.grpc_host, settings.http_port)
    http_port = int(sock.getsockname()[1])
    http = _EmbeddedServer(
        uvicorn.Config(
            build_app(api),
            log_config=None,  # our JSON logging (services/kernel/logs.py) stays in charge
            access_log=False,  # RequestContext logs one line per request, with its request id
            lifespan="off",
            timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        )
    )
    serving = asyncio.create_task(http.serve(sockets=[sock]))
    while not http.started:
        if serving.done():
            serving.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    health = await start_server(
        ServiceSpec(service_names=[], register=lambda _server: None),
        settings.grpc_host,
        settings.grpc_port,
    )

    async def stop_http() -> None:
        # In-flight transcriptions finish (within the grace), new connections are refused.
        http.should_exit = True
        await serving
        sock.close()

    return ServiceApp(
        name="speech_api",
        server=health,
        closers=[library.close, stop_http],
        parts={"http_port": http_port},
    )
