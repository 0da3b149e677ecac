"""Every command compose runs starts here with compose's own environment, only its hosts,
ports and paths translated to local servers: the six services answer their compose
healthcheck, and the one-shot jobs succeed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from services.mesh.nats_server import NatsServer
from services.mesh.postgres import PostgresServer
from services.mesh.processes import free_ports
from services.mesh.s3_server import SeaweedS3
from services.mesh.services import SERVICES, ServiceProcess
from tests.ops.compose_file import compose, env_example
from tests.ops.test_compose_file import SECRETS

CONTAINER_PATHS = ("/data", "/keys", "/secrets", "/opt/models", "/etc/speechflow-edge")


class LocalTranslation:
    """Maps compose's container world (service names, fixed ports, volumes) to this host."""

    def __init__(
        self,
        root: Path,
        nats: NatsServer,
        s3: SeaweedS3,
        database_urls: Mapping[str, str],
    ) -> None:
        self.root = root
        self.ports = dict(zip((d.name for d in SERVICES), free_ports(len(SERVICES)), strict=True))
        suffix = uuid.uuid4().hex[:8]
        self.fixed = {
            "NATS_URL": nats.url,
            "GRPC_HOST": "127.0.0.1",
            "LIBRARY_ADDRESS": f"127.0.0.1:{self.ports['library']}",
            "S3_ENDPOINT": s3.url,
            "S3_ACCESS_KEY": s3.access_key,
            "S3_SECRET_KEY": s3.secret_key,
            **{
                f"S3_BUCKET_{area}": f"{area.lower()[:3]}-{suffix}"
                for area in ("UPLOADS", "PDFS", "TEMP", "TRANSCRIPTS")
            },
            **database_urls,
            **{f"{name.upper()}_GRPC_PORT": str(port) for name, port in self.ports.items()},
        }

    def environment(
        self,
        compose_environment: Mapping[str, Any],
        volumes: Sequence[Any] = (),
    ) -> dict[str, str]:
        # A `subpath` mount of the volume nats-auth fills at /secrets: that user's folder.
        mounts = {
            v["target"]: self.root / "secrets" / v["volume"]["subpath"]
            for v in volumes
            if isinstance(v, dict) and v["source"] == "nats-auth"
        }
        translated: dict[str, str] = {}
        for name, value in compose_environment.items():
            text = self.fixed.get(name, str(value))
            for target, local in mounts.items():
                if text.startswith(f"{target}/"):
                    text = str(local) + text[len(target) :]
            for path in CONTAINER_PATHS:
                if text == path or text.startswith(f"{path}/"):
                    text = str(self.root / path.strip("/")) + text[len(path) :]
            translated[name] = text
        return translated

    def command(self, argv: list[str]) -> list[str]:
        translated = [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]
        for name, port in self.ports.items():
            default = next(d.default_port for d in SERVICES if d.name == name)
            translated = [a.replace(f":{default}", f":{port}") for a in translated]
        return [str(self.root / a.strip("/")) if a in CONTAINER_PATHS else a for a in translated]


def run_job(argv: list[str], environment: Mapping[str, str], cwd: Path) -> None:
    completed = subprocess.run(
        argv,
        env={"PATH": "/usr/bin:/bin", **environment},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"{argv}: {completed.stdout}{completed.stderr}"


@pytest.fixture
def database_urls(postgres_server: PostgresServer) -> Iterator[dict[str, str]]:
    names = {
        f"{service.upper()}_DATABASE_URL": f"t_compose_{service}_{uuid.uuid4().hex[:8]}"
        for service in ("auth", "library")
    }
    yield {variable: postgres_server.create_database(name) for variable, name in names.items()}
    for name in names.values():
        postgres_server.drop_database(name)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.asyncio
async def test_compose_commands_start_and_pass_their_healthchecks(
    tmp_path: Path,
    s3_server: SeaweedS3,
    database_urls: dict[str, str],
) -> None:
    services = compose({**env_example(), **SECRETS})["services"]
    cwd = tmp_path / "cwd"  # no .env here: only the translated compose environment counts
    cwd.mkdir()
    # compose's nats: the authorization written by the nats-auth job, anonymous refused.
    nats_auth = services["nats-auth"]
    run_job(
        [sys.executable, *nats_auth["command"][1:-1], str(tmp_path / "secrets")],
        {"DATA_DIR": str(tmp_path / "data")},
        cwd,
    )
    port, monitor_port = free_ports(2)
    nats = NatsServer(
        tmp_path / "nats",
        port,
        monitor_port,
        authorization_config=tmp_path / "secrets" / "server" / "auth.conf",
    )
    local = LocalTranslation(tmp_path, nats, s3_server, database_urls)

    def job(name: str, argv: list[str] | None = None) -> None:
        service = services[name]
        run_job(
            local.command(argv or service["command"]),
            local.environment(service["environment"], service.get("volumes", [])),
            cwd,
        )

    job("storage-init")
    job("envoy-config")
    started: list[ServiceProcess] = []
    await asyncio.to_thread(nats.start)
    try:
        for definition in SERVICES:  # auth first: it writes the token key
            service = services[definition.name]
            assert service["command"] == ["python", "-m", f"services.{definition.name}"]
            process = ServiceProcess(
                definition,
                local.ports[definition.name],
                tmp_path / "logs",
                local.environment(service["environment"], service["volumes"]),
                cwd,
            )
            started.append(process)
            await asyncio.to_thread(process.start)
        for definition in SERVICES:
            check = services[definition.name]["healthcheck"]["test"][1:]
            run_job(local.command(check), {}, cwd)
        maintenance = services["maintenance"]
        job("maintenance", maintenance["command"][:-2])  # one sweep instead of --every 3600
    finally:
        for process in reversed(started):
            await asyncio.to_thread(process.stop)
        await asyncio.to_thread(nats.stop)
