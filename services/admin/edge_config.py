"""`speechflow-admin envoy-config DIR`: the edge config for a container deployment.

The official Envoy image has no template tool, so a one-shot job of the SpeechFlow image
renders envoy/envoy.yaml.tmpl with the same code `make up` uses (one template, one set of
checks) and puts it, with the API descriptor, in a volume the Envoy container reads.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from services.mesh.envoy import EnvoyEdgeSettings, UpstreamAddress, render_envoy_config
from services.mesh.runner import DESCRIPTOR, MeshSettings
from services.mesh.services import SERVICES

CONFIG_NAME = "envoy.yaml"
DESCRIPTOR_NAME = "speechflow.binpb"
WEB_HOST = "web"
# The compose service and the Kubernetes Service of the OpenAI-compatible endpoint.
SPEECH_API_HOST = "speech-api"


def container_edge_settings(mesh: MeshSettings, config_dir: Path) -> EnvoyEdgeSettings:
    """Upstreams are reached by their compose service names (DNS round-robin across
    replicas); Envoy listens on every interface of its container."""
    upstreams = {
        definition.name: UpstreamAddress(definition.name, mesh.service_port(definition.name))
        for definition in SERVICES
    }
    return EnvoyEdgeSettings(
        descriptor_set_path=config_dir / DESCRIPTOR_NAME,
        listen_address="0.0.0.0",
        listen_port=mesh.envoy_port,
        admin_port=mesh.envoy_admin_port,
        web=UpstreamAddress(WEB_HOST, mesh.web_port),
        # The web image also serves the API reference (OpenAPI + Swagger UI).
        apidocs=UpstreamAddress(WEB_HOST, mesh.apidocs_port),
        cors_allowed_origins=tuple(mesh.cors_allowed_origins),
        xff_num_trusted_hops=mesh.envoy_xff_num_trusted_hops,
        speech_api=UpstreamAddress(SPEECH_API_HOST, mesh.speech_api_http_port),
        **upstreams,  # type: ignore[arg-type]
    )


def write_edge_config(
    output_dir: Path,
    mesh: MeshSettings,
    *,
    config_dir: Path | None = None,
    descriptor: Path = DESCRIPTOR,
) -> Path:
    """Writes envoy.yaml and the descriptor into `output_dir`; `config_dir` is where the
    Envoy container mounts that folder (the same path unless given)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(descriptor, output_dir / DESCRIPTOR_NAME)
    settings = container_edge_settings(mesh, config_dir or output_dir)
    target = output_dir / CONFIG_NAME
    target.write_text(render_envoy_config(settings), encoding="utf-8")
    return target
