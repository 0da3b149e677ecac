"""grpc.aio server bootstrap shared by every service: interceptors, health, reflection,
and a graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import signal
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

import speechflow
from services.kernel.interceptors import (
    AuthInterceptor,
    ErrorMappingInterceptor,
    RequestIdInterceptor,
)
from services.kernel.tokens import TokenVerifier

log = logging.getLogger("speechflow.server")

# Upload chunks are up to 4 MiB; leave room for framing and metadata.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# Above what the Envoy edge lets through (max_request_headers_kb: 60 in envoy.yaml.tmpl), so
# the edge answers oversized headers with 431: a service refusing them (gRPC's default is
# 8 KiB) would answer RESOURCE_EXHAUSTED, which REST clients see as 429 "too many requests".
MAX_METADATA_BYTES = 64 * 1024

Registrar = Callable[[grpc.aio.Server], None]


@dataclass
class ServiceSpec:
    """What a service contributes to the shared server."""

    service_names: Sequence[str]
    register: Registrar
    verifier: TokenVerifier | None = None
    public_methods: Collection[str] = field(default_factory=tuple)
    # Also describe every other SpeechFlow service (the edge's reflection endpoint).
    reflect_whole_api: bool = False


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    service_names: Sequence[str]

    async def mark_serving(self) -> None:
        for name in ("", *self.service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        # NOT_SERVING first, so Envoy and load balancers stop sending new calls.
        for name in ("", *self.service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace)


def api_service_names() -> list[str]:
    """Every service declared in the generated `speechflow` package."""
    names: list[str] = []
    for module_info in pkgutil.walk_packages(speechflow.__path__, "speechflow."):
        if module_info.name.endswith("_pb2"):
            module = importlib.import_module(module_info.name)
            names.extend(s.full_name for s in module.DESCRIPTOR.services_by_name.values())
    return sorted(names)


async def start_server(spec: ServiceSpec, host: str, port: int) -> RunningServer:
    """Builds, binds and starts the server; port 0 picks a free one (tests)."""
    interceptors: list[grpc.aio.ServerInterceptor] = [
        RequestIdInterceptor(),
        ErrorMappingInterceptor(),
    ]
    if spec.verifier is not None:
        interceptors.append(AuthInterceptor(spec.verifier, spec.public_methods))
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_metadata_size", MAX_METADATA_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    spec.register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    described = api_service_names() if spec.reflect_whole_api else spec.service_names
    reflection.enable_server_reflection(
        (*described, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"could not bind {host}:{port}; is another process using it?")
    await server.start()
    running = RunningServer(server, bound, health_servicer, spec.service_names)
    await running.mark_serving()
    return running


async def wait_for_shutdown_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
