"""speechflow-admin envoy-config renders a config Envoy accepts, pointing at compose names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.admin.edge_config import CONFIG_NAME, DESCRIPTOR_NAME, write_edge_config
from services.mesh.envoy import validate_config
from services.mesh.runner import MeshSettings
from tests.ops.compose_file import compose, env_example
from tests.ops.test_compose_file import SECRETS


def test_the_container_edge_config_is_valid_and_routes_to_compose_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = compose({**env_example(), **SECRETS})["services"]["envoy-config"]["environment"]
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    mesh = MeshSettings(_env_file=None)  # type: ignore[call-arg]
    config = write_edge_config(tmp_path, mesh)
    validate_config(config)  # envoy --mode validate

    assert (tmp_path / DESCRIPTOR_NAME).is_file()
    assert config.name == CONFIG_NAME
    rendered = yaml.safe_load(config.read_text())
    listener = rendered["static_resources"]["listeners"][0]["address"]["socket_address"]
    assert listener == {"address": "0.0.0.0", "port_value": int(environment["ENVOY_PORT"])}
    upstreams = {
        cluster["name"]: cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"][
            "address"
        ]["socket_address"]["address"]
        for cluster in rendered["static_resources"]["clusters"]
    }
    for service in ("auth", "library", "transcriber", "summarizer", "renderer", "notifier"):
        assert upstreams[service] == service
    assert upstreams["web"] == "web"
