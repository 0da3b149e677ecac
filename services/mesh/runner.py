"""`make up`: NATS, the six services, a static web server and Envoy, started in order,
health-checked, and stopped in reverse order on Ctrl-C, SIGTERM or `make down`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.kernel.logs import configure_logging
from services.kernel.settings import NatsCredentials
from services.mesh.apidocs import assemble_api_docs
from services.mesh.backing import BackingStores, Database, Storage
from services.mesh.envoy import (
    EnvoyEdgeSettings,
    EnvoyProcess,
    UpstreamAddress,
    render_envoy_config,
)
from services.mesh.nats_auth import (
    OPERATOR,
    load_or_create_credentials,
    mesh_users,
    service_bus_uses,
)
from services.mesh.nats_cluster import NatsCluster
from services.mesh.nats_server import NatsServer
from services.mesh.processes import ManagedProcess, http_status
from services.mesh.services import (
    NATS_CREDENTIALS_DIR_VARIABLE,
    SERVICES,
    SPEECH_API,
    ServiceProcess,
)
from services.mesh.supervisor import Supervisor
from services.mesh.web import StaticWebServer, build_web_app, web_build_is_stale, web_root

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTOR = ROOT / "gen" / "speechflow.binpb"


class MeshSettings(BaseSettings):
    """Ports and places of the local mesh; every one overridable by environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path(".data")
    envoy_port: int = 8080
    envoy_admin_port: int = 9901
    nats_port: int = 4222
    nats_monitor_port: int = 8222
    web_port: int = 8090
    # Build web/dist (npm ci + npm run build) before starting when it is missing or stale.
    web_build: bool = True
    apidocs_port: int = 8091
    # Prometheus /metrics of the six services on base+1 … base+6 (auth first); 0: off.
    metrics_base_port: int = 9100
    auth_grpc_port: int = 50051
    library_grpc_port: int = 50052
    transcriber_grpc_port: int = 50053
    summarizer_grpc_port: int = 50054
    renderer_grpc_port: int = 50055
    notifier_grpc_port: int = 50056
    # The OpenAI-compatible endpoint (Envoy routes /v1/audio/ to its HTTP port).
    speech_api_grpc_port: int = 50057
    speech_api_http_port: int = 50058
    cors_allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:5173", "http://127.0.0.1:5173"]
    )
    # Proxies in front of Envoy whose X-Forwarded-For entry it trusts (0: clients connect to
    # Envoy directly); sign-in throttles are keyed by the client address found that way.
    envoy_xff_num_trusted_hops: int = Field(default=0, ge=0, le=10)

    # `postgres` / `s3`: also run the embedded PostgreSQL / seaweedfs (services/mesh/backing.py).
    mesh_database: Database = "sqlite"
    mesh_storage: Storage = "local"
    postgres_port: int = 5432
    s3_port: int = 8333
    # Nodes of nats-server (MESH_NATS_CLUSTER=3: a local JetStream cluster, node n1 on
    # nats_port / nats_monitor_port, the others on free ports, every stream on 3 of them).
    mesh_nats_cluster: int = Field(default=1, ge=1, le=5)

    def service_port(self, name: str) -> int:
        return int(getattr(self, f"{name}_grpc_port"))


@dataclass
class Mesh:
    """Everything `make up` runs; tests use it to drive the real processes too."""

    settings: MeshSettings
    extra_environment: dict[str, str] = field(default_factory=dict)
    # The single server, or node n1 of the cluster (tests and tools connect through it).
    nats: NatsServer | None = None
    nats_cluster: NatsCluster | None = None
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    speech_api: ServiceProcess | None = None
    web: StaticWebServer | None = None
    apidocs: StaticWebServer | None = None
    envoy: EnvoyProcess | None = None
    supervisor: Supervisor | None = None
    nats_credentials: dict[str, NatsCredentials] = field(default_factory=dict)
    backing: BackingStores | None = None

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir.resolve()

    @property
    def nats_credentials_dir(self) -> Path:
        return self.data_dir / "keys" / "nats"

    def service_environment(self) -> dict[str, str]:
        data = self.data_dir
        dotenv = {k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}
        return {
            "PUBLIC_BASE_URL": f"http://localhost:{self.settings.envoy_port}",
            **dotenv,
            "DATA_DIR": str(data),
            **self.nats_environment(),
            "LIBRARY_ADDRESS": f"127.0.0.1:{self.settings.library_grpc_port}",
            # Where services exchange `Bearer sf_…` API keys for access tokens.
            "AUTH_ADDRESS": f"127.0.0.1:{self.settings.auth_grpc_port}",
            # The library asks the summarizer whether it can translate a summary.
            "SUMMARIZER_ADDRESS": f"127.0.0.1:{self.settings.summarizer_grpc_port}",
            "AUTH_SIGNING_KEY_FILE": str(data / "keys" / "jwt-ed25519.pem"),
            "JWT_PUBLIC_KEY_FILE": str(data / "keys" / "jwt-ed25519.pub.pem"),
            "PYTHONUNBUFFERED": "1",
            # Each ServiceProcess logs in as its own NATS user, its password in here.
            NATS_CREDENTIALS_DIR_VARIABLE: str(self.nats_credentials_dir),
            **(self.backing.environment if self.backing else {}),
            **self.extra_environment,
        }

    def nats_environment(self) -> dict[str, str]:
        if self.nats_cluster is None:
            return {"NATS_URL": f"nats://127.0.0.1:{self.settings.nats_port}"}
        return {
            "NATS_URL": self.nats_cluster.servers_setting,
            # Three copies survive losing any one node; more only slow every write down.
            "NATS_STREAM_REPLICAS": str(min(self.nats_cluster.size, 3)),
        }

    async def start(self) -> None:
        s = self.settings
        logs = self.data_dir / "logs"
        self.backing = BackingStores(
            self.data_dir, s.mesh_database, s.mesh_storage, s.postgres_port, s.s3_port
        )
        await asyncio.to_thread(self.backing.start)
        await asyncio.to_thread(self.backing.create_buckets, self.service_environment(), ROOT)
        self.nats_credentials = load_or_create_credentials(self.nats_credentials_dir)
        # Importing every service's declarations takes a moment: not on the event loop.
        uses = await asyncio.to_thread(service_bus_uses)
        users = mesh_users(self.nats_credentials, uses)
        if s.mesh_nats_cluster > 1:
            self.nats_cluster = NatsCluster(
                self.data_dir / "nats-cluster",
                s.mesh_nats_cluster,
                users=users,
                client_credentials=self.nats_credentials[OPERATOR],
                first_port=s.nats_port,
                first_monitor_port=s.nats_monitor_port,
            )
            self.nats = self.nats_cluster.nodes[0]
            await asyncio.to_thread(self.nats_cluster.start)
        else:
            self.nats = NatsServer(
                self.data_dir / "nats",
                s.nats_port,
                s.nats_monitor_port,
                users=users,
                client_credentials=self.nats_credentials[OPERATOR],
            )
            await asyncio.to_thread(self.nats.start)
        environment = self.service_environment()
        # Auth first: it writes the token key every other service verifies with.
        for index, definition in enumerate(SERVICES, start=1):
            process = ServiceProcess(
                definition,
                s.service_port(definition.name),
                logs,
                environment,
                ROOT,
                metrics_port=s.metrics_base_port + index if s.metrics_base_port else 0,
            )
            self.services[definition.name] = process
        await asyncio.to_thread(self.services["auth"].start)
        others = [p for name, p in self.services.items() if name != "auth"]
        self.speech_api = ServiceProcess(
            SPEECH_API,
            s.speech_api_grpc_port,
            logs,
            {**environment, "SPEECH_API_HTTP_PORT": str(s.speech_api_http_port)},
            ROOT,
            metrics_port=s.metrics_base_port + len(SERVICES) + 1 if s.metrics_base_port else 0,
        )
        others.append(self.speech_api)
        await asyncio.gather(*(asyncio.to_thread(p.start) for p in others))
        self.supervisor = Supervisor({**self.services, SPEECH_API.name: self.speech_api})
        self.supervisor.start()
        if s.web_build:
            await asyncio.to_thread(build_web_app, ROOT, logs / "web-build.log")
        self.web = StaticWebServer(web_root(ROOT), s.web_port, logs)
        await asyncio.to_thread(self.web.start)
        docs = assemble_api_docs(ROOT, self.data_dir / "apidocs")
        self.apidocs = StaticWebServer(docs, s.apidocs_port, logs, name="apidocs")
        await asyncio.to_thread(self.apidocs.start)
        edge = EnvoyEdgeSettings(
            descriptor_set_path=DESCRIPTOR,
            listen_port=s.envoy_port,
            admin_port=s.envoy_admin_port,
            web=UpstreamAddress("127.0.0.1", s.web_port),
            apidocs=UpstreamAddress("127.0.0.1", s.apidocs_port),
            cors_allowed_origins=tuple(s.cors_allowed_origins),
            xff_num_trusted_hops=s.envoy_xff_num_trusted_hops,
            speech_api=UpstreamAddress("127.0.0.1", s.speech_api_http_port),
            **{d.name: UpstreamAddress("127.0.0.1", s.service_port(d.name)) for d in SERVICES},  # type: ignore[arg-type]
        )
        self.envoy = EnvoyProcess()
        await self.envoy.start(render_envoy_config(edge), self.data_dir / "envoy")

    async def stop(self) -> None:
        """Edge first so no new calls arrive, then services (they drain), then NATS."""
        if self.supervisor is not None:
            await self.supervisor.stop()
        if self.envoy is not None:
            await self.envoy.stop()
        stoppable: list[ManagedProcess] = [
            *([self.web] if self.web else []),
            *([self.apidocs] if self.apidocs else []),
            *([self.speech_api] if self.speech_api else []),
            *reversed(self.services.values()),
        ]
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in stoppable))
        if self.nats_cluster is not None:
            await asyncio.to_thread(self.nats_cluster.stop)
        elif self.nats is not None:
            await asyncio.to_thread(self.nats.stop)
        if self.backing is not None:
            await asyncio.to_thread(self.backing.stop)

    def _nats_rows(self) -> list[tuple[str, str]]:
        s = self.settings
        if self.nats_cluster is None:
            return [("NATS (monitor)", f"nats://localhost:{s.nats_port} ({s.nats_monitor_port})")]
        return [
            (f"NATS {n.server_name} (monitor)", f"nats://localhost:{n.port} ({n.monitor_port})")
            for n in self.nats_cluster.nodes
        ]

    def summary(self) -> str:
        s = self.settings
        rows = [
            ("Web UI, gRPC, gRPC-Web, REST", f"http://localhost:{s.envoy_port}"),
            ("REST API reference", f"http://localhost:{s.envoy_port}/api/docs"),
            ("Envoy admin", f"http://localhost:{s.envoy_admin_port}"),
            *self._nats_rows(),
            *((f"{d.name} (plain gRPC)", f"localhost:{s.service_port(d.name)}") for d in SERVICES),
            ("OpenAI-compatible speech-to-text", f"http://localhost:{s.envoy_port}/v1/audio/"),
            *(
                (f"{p.definition.name} metrics", f"http://localhost:{p.metrics_port}/metrics")
                for p in self.services.values()
                if p.metrics_port
            ),
            *(self.backing.summary_rows() if self.backing else []),
            ("data and logs", str(self.data_dir)),
        ]
        width = max(len(name) for name, _ in rows)
        table = "\n".join(f"  {name.ljust(width)}  {where}" for name, where in rows)
        grpcurl = f"{sys.executable.rsplit('/', 1)[0]}/grpcurl"
        return (
            "SpeechFlow is up.\n\n"
            f"{table}\n\n"
            "Try it:\n"
            f"  {grpcurl} -plaintext localhost:{s.envoy_port} list\n"
            f'  {grpcurl} -plaintext -d \'{{"email": "ada@example.com", '
            f'"password": "correct horse battery", "name": "Ada"}}\' \\\n'
            f"      localhost:{s.envoy_port} speechflow.auth.v1.AuthService/Register\n\n"
            f"Ctrl-C (or `make down` elsewhere) stops everything; data stays in {self.data_dir}."
        )


def state_file(settings: MeshSettings) -> Path:
    return settings.data_dir.resolve() / "mesh.json"


async def up() -> int:
    settings = MeshSettings()
    # JSON lines for what goes wrong while it runs (restarts of crashed services); the
    # libraries' INFO chatter would bury the summary.
    configure_logging("mesh", "WARNING")
    state = state_file(settings)
    if state.exists():
        pid = json.loads(state.read_text())["pid"]
        if _alive(pid):
            print(f"The mesh is already running (pid {pid}); `make down` stops it.")
            return 1
    if http_status(f"http://127.0.0.1:{settings.nats_monitor_port}/healthz") is not None:
        print(f"Port {settings.nats_monitor_port} is taken: is another NATS running?")
        return 1
    mesh = Mesh(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("Starting NATS, the six services and Envoy (the first start takes longer)…")
    if settings.web_build and web_build_is_stale(ROOT):
        print("Building the web app (npm ci, npm run build)…", flush=True)
    try:
        await mesh.start()
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"pid": os.getpid()}))
        print(mesh.summary(), flush=True)
        await stop.wait()
        print("\nStopping…", flush=True)
    except Exception as exc:
        print(f"\nCould not start the mesh: {exc}", file=sys.stderr)
        return 1
    finally:
        await mesh.stop()
        state.unlink(missing_ok=True)
    print("Stopped.")
    return 0


def down() -> int:
    settings = MeshSettings()
    state = state_file(settings)
    if not state.exists():
        print("No mesh is running.")
        return 0
    pid = int(json.loads(state.read_text())["pid"])
    if not _alive(pid):
        state.unlink(missing_ok=True)
        print("No mesh is running (removed a stale state file).")
        return 0
    os.kill(pid, signal.SIGTERM)
    print(f"Asked the mesh (pid {pid}) to stop; it drains in-flight work first.")
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
