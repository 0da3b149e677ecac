"""A private mesh for one bench run: real processes on free ports in a temporary folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.mesh.processes import free_port, free_ports
from services.mesh.runner import Mesh, MeshSettings
from services.mesh.services import ServiceProcess

# Metrics endpoints are numbered from a base port; 0 turns them off for a private mesh.
NO_PORT_FIELDS = frozenset({"metrics_base_port"})
# The bench talks gRPC only: no need to (re)build the web app before starting.
SWITCHED_OFF = {"web_build": False}


def mesh_settings(data_dir: Path) -> MeshSettings:
    """Every listening port of the mesh on a free one, whatever ports the mesh grows."""
    names = [
        name
        for name in MeshSettings.model_fields
        if name.endswith("_port") and name not in NO_PORT_FIELDS
    ]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    off: dict[str, object] = {n: 0 for n in NO_PORT_FIELDS if n in MeshSettings.model_fields}
    off |= {n: v for n, v in SWITCHED_OFF.items() if n in MeshSettings.model_fields}
    return MeshSettings(data_dir=data_dir).model_copy(update={**ports, **off})


@asynccontextmanager
async def running_mesh(
    data_dir: Path, extra_environment: dict[str, str] | None = None
) -> AsyncIterator[Mesh]:
    settings = mesh_settings(data_dir)
    mesh = Mesh(
        settings,
        extra_environment={
            "PUBLIC_BASE_URL": f"http://localhost:{settings.envoy_port}",
            # The load signs up many users from 127.0.0.1 (the default allows 5 an hour).
            "AUTH_REGISTER_MAX_PER_CLIENT": "100000",
            # Case 12 measures the local LLM on its own; in the mesh its minutes per summary
            # would swamp every throughput figure, so the mesh summarizes extractively.
            "SUMMARIZER_LOCAL_LLM_ENABLED": "false",
            **(extra_environment or {}),
        },
    )
    try:
        await mesh.start()
        yield mesh
    finally:
        await mesh.stop()


@asynccontextmanager
async def extra_stage_process(mesh: Mesh, name: str) -> AsyncIterator[ServiceProcess]:
    """A second process of a pipeline stage sharing the first one's durable consumer."""
    first = mesh.services[name]
    second = ServiceProcess(
        first.definition,
        free_port(),
        first.workdir,
        mesh.service_environment(),  # carries the NATS login for `name` (ServiceProcess)
        first.working_directory(),
    )
    second.name = f"{name}-2"
    await asyncio.to_thread(second.start)
    try:
        yield second
    finally:
        await asyncio.to_thread(second.stop)
