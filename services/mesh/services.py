"""The six SpeechFlow services as child processes of the local mesh runner."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.mesh.nats_auth import password_file
from services.mesh.processes import ManagedProcess

DEFAULT_SHUTDOWN_GRACE_SECONDS = 10.0
# Set by the mesh runner: where each service's NATS password lives (see nats_auth.py).
NATS_CREDENTIALS_DIR_VARIABLE = "MESH_NATS_CREDENTIALS_DIR"
STOP_MARGIN_SECONDS = 5.0


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # also the module: python -m services.<name>
    port_variable: str
    default_port: int
    grpc_service: str


SERVICES: tuple[ServiceDefinition, ...] = (
    ServiceDefinition("auth", "AUTH_GRPC_PORT", 50051, "speechflow.auth.v1.AuthService"),
    ServiceDefinition(
        "library", "LIBRARY_GRPC_PORT", 50052, "speechflow.library.v1.LibraryService"
    ),
    ServiceDefinition(
        "transcriber",
        "TRANSCRIBER_GRPC_PORT",
        50053,
        "speechflow.transcriber.v1.TranscriberService",
    ),
    ServiceDefinition(
        "summarizer", "SUMMARIZER_GRPC_PORT", 50054, "speechflow.summarizer.v1.SummarizerService"
    ),
    ServiceDefinition(
        "renderer", "RENDERER_GRPC_PORT", 50055, "speechflow.renderer.v1.RendererService"
    ),
    ServiceDefinition(
        "notifier", "NOTIFIER_GRPC_PORT", 50056, "speechflow.notifier.v1.NotifierService"
    ),
)

# The OpenAI-compatible HTTP adapter (services/speech_api): gRPC here for health only, its
# HTTP API on SPEECH_API_HTTP_PORT. Not one of SERVICES: it has no SpeechFlow gRPC API.
SPEECH_API = ServiceDefinition("speech_api", "SPEECH_API_GRPC_PORT", 50057, "")


def health_status(address: str, service: str = "", timeout: float = 1.0) -> int | None:
    """The gRPC health status of a server, or None when it does not answer."""
    try:
        with grpc.insecure_channel(address) as channel:
            stub: Any = health_pb2_grpc.HealthStub(channel)
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
            return int(response.status)
    except grpc.RpcError:
        return None


class ServiceProcess(ManagedProcess):
    """`python -m services.<name>`, ready once its gRPC health check says SERVING."""

    start_timeout = 120.0  # first start runs migrations and may unpack a speech model

    def __init__(
        self,
        definition: ServiceDefinition,
        port: int,
        log_dir: Path,
        environment: Mapping[str, str],
        cwd: Path,
        metrics_port: int = 0,
    ) -> None:
        super().__init__(definition.name, log_dir)
        # The service's own grace (in-flight RPCs, then NATS and the database, see
        # ServiceApp.stop) plus a margin, so a clean shutdown is never cut short by SIGKILL.
        grace = float(environment.get("SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE_SECONDS))
        self.stop_grace = grace + STOP_MARGIN_SECONDS
        self.definition = definition
        self.port = port
        self.metrics_port = metrics_port
        self._environment = dict(environment)
        self._cwd = cwd

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> Sequence[str]:
        return [sys.executable, "-m", f"services.{self.definition.name}"]

    def environment(self) -> dict[str, str]:
        environment = {
            **os.environ,
            **self._environment,
            self.definition.port_variable: str(self.port),
            "METRICS_PORT": str(self.metrics_port),
            # Envoy sends reflection to auth, which then describes the whole API.
            "EDGE_REFLECTION": "true" if self.definition.name == "auth" else "false",
        }
        # The mesh's folder of NATS passwords becomes this service's own login.
        credentials = environment.pop(NATS_CREDENTIALS_DIR_VARIABLE, "")
        if credentials and "NATS_USER" not in self._environment:
            name = self.definition.name
            environment["NATS_USER"] = name
            environment["NATS_PASSWORD_FILE"] = str(password_file(Path(credentials), name))
        return environment

    def working_directory(self) -> Path:
        return self._cwd

    def is_ready(self) -> bool:
        return health_status(self.address) == health_pb2.HealthCheckResponse.SERVING

    def prepare(self) -> None:
        """Nothing to prepare: each service migrates its own schema at start-up."""
