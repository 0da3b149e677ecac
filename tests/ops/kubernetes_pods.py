"""What the Kubernetes pods run, on this machine: the NATS StatefulSet's init script and
servers as a real JetStream cluster, a stage with its pod's environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js.api import ConsumerInfo

from services.mesh.s3_server import SeaweedS3


def replace_exactly(text: str, old: str, new: str) -> str:
    """Fails loudly when the manifest no longer has what the local run rewrites."""
    assert old in text, old
    return text.replace(old, new)


@dataclass(frozen=True)
class LocalNode:
    name: str
    client_port: int
    monitor_port: int
    route_port: int


def local_nats_config(config: str, node: LocalNode, nodes: list[LocalNode], root: Path) -> str:
    """The ConfigMap's nats.conf with pod addresses and paths moved to this machine's loopback
    and a folder per node; everything else (JetStream, cluster, auth include) as deployed."""
    config = replace_exactly(
        config, "listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{node.client_port}"
    )
    config = replace_exactly(config, "http: 0.0.0.0:8222", f"http: 127.0.0.1:{node.monitor_port}")
    config = replace_exactly(config, "listen: 0.0.0.0:6222", f"listen: 127.0.0.1:{node.route_port}")
    config = replace_exactly(config, "/var/run/nats/nats.pid", str(root / node.name / "nats.pid"))
    config = replace_exactly(config, "/data/jetstream", str(root / node.name / "jetstream"))
    for other in nodes:
        config = replace_exactly(
            config,
            f"nats://{other.name}.nats-headless:6222",
            f"nats://127.0.0.1:{other.route_port}",
        )
    return config


def run_nats_init_container(script: str, root: Path, node: str) -> Path:
    """The StatefulSet's init container script, with its mounts as local folders; returns
    the folder the nats container would mount at /etc/nats."""
    auth = root / node / "etc-nats"
    auth.mkdir(parents=True)
    local = script.replace("/users", str(root / "users")).replace("/config", str(root / "config"))
    local = local.replace("/auth", str(auth)).replace("python -m", f"{sys.executable} -m")
    subprocess.run(
        ["sh", "-c", local],
        check=True,
        cwd=root,
        env={**os.environ, "DATA_DIR": str(root / node / "tmp")},
        capture_output=True,
    )
    return auth


@dataclass(frozen=True)
class LocalCluster:
    servers: list[str]
    passwords: dict[str, str]


def on_this_machine(
    environment: dict[str, str], root: Path, cluster: LocalCluster, s3: SeaweedS3
) -> dict[str, str]:
    """A pod's environment with what only the cluster provides replaced by local stand-ins
    (the NATS pods above, a SeaweedFS S3, folders for the mounts); the rest as deployed."""
    local = {
        **environment,
        "NATS_URL": ",".join(cluster.servers),
        "GRPC_HOST": "127.0.0.1",
        "DATA_DIR": str(root / "data"),
        "HOME": str(root / "home"),
        "S3_ENDPOINT": s3.url,
        "S3_PUBLIC_ENDPOINT": s3.url,
        "S3_SECURE": "false",
        "S3_ACCESS_KEY": s3.access_key,
        "S3_SECRET_KEY": s3.secret_key,
    }
    if "NATS_USER" in environment:
        password = root / "nats" / "password"
        password.parent.mkdir(parents=True, exist_ok=True)
        password.write_text(cluster.passwords[environment["NATS_USER"]], encoding="utf-8")
        local["NATS_PASSWORD_FILE"] = str(password)
    return local


async def eventually(ask: Callable[[], Awaitable[ConsumerInfo]]) -> ConsumerInfo:
    """`ask()` once it stops answering "not found" (the first answer after that)."""
    async with asyncio.timeout(30):
        while True:
            try:
                return await ask()
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.2)
