"""compose.yaml is a valid Compose file with what a production deployment needs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.ops.compose_file import (
    ROOT,
    SCHEMA_FILE,
    MissingVariable,
    compose,
    env_example,
)

SIX_SERVICES = ("auth", "library", "transcriber", "summarizer", "renderer", "notifier")
PIPELINE_STAGES = ("transcriber", "summarizer", "renderer", "notifier")
SECRETS = {
    "POSTGRES_PASSWORD": "pg-secret",
    "S3_ACCESS_KEY": "speechflow",
    "S3_SECRET_KEY": "s3-secret-123",
}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    document = compose({**env_example(), **SECRETS})
    found: dict[str, dict[str, Any]] = document["services"]
    return found


def test_compose_file_validates_against_the_compose_spec_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = compose({**env_example(), **SECRETS})
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_check_catches_a_misspelt_key() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = compose({**env_example(), **SECRETS})
    document["services"]["auth"]["restart_policy"] = "always"
    assert not jsonschema.Draft7Validator(schema).is_valid(document)


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(secret: str) -> None:
    environment = {**env_example(), **SECRETS}
    del environment[secret]
    with pytest.raises(MissingVariable, match=secret):
        compose(environment)


def test_every_service_and_the_infrastructure_are_defined(
    services: dict[str, dict[str, Any]],
) -> None:
    expected = {*SIX_SERVICES, "postgres", "nats", "minio", "storage-init", "envoy", "web"}
    assert expected <= set(services)


@pytest.mark.parametrize("name", SIX_SERVICES)
def test_each_service_runs_its_module_with_health_limits_and_restarts(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert service["build"]["target"] == "service"
    assert service["restart"] == "unless-stopped"
    limits = service["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0
    assert limits["memory"]
    port = service["environment"][f"{name.upper()}_GRPC_PORT"]
    assert service["environment"]["GRPC_HOST"] == "0.0.0.0"
    assert service["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-m",
        "services.admin",
        "healthcheck",
        f"127.0.0.1:{port}",
    ]


@pytest.mark.parametrize("name", PIPELINE_STAGES)
def test_pipeline_workers_can_be_scaled(services: dict[str, dict[str, Any]], name: str) -> None:
    """`--scale` fails on a fixed container name or a published host port."""
    service = services[name]
    assert "container_name" not in service
    assert "ports" not in service
    assert service["environment"]["NATS_URL"] == "nats://nats:4222"


def test_nats_keeps_jetstream_on_a_volume(services: dict[str, dict[str, Any]]) -> None:
    nats = services["nats"]
    assert "--jetstream" in nats["command"]
    store_dir = nats["command"][nats["command"].index("--store_dir") + 1]
    assert any(volume.endswith(f":{store_dir}") for volume in nats["volumes"])


def test_one_shot_jobs_run_before_the_services_that_need_them(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["storage-init"]["restart"] == "no"
    assert services["storage-init"]["command"][-1] == "init-storage"
    for name in ("library", *PIPELINE_STAGES):
        condition = services[name]["depends_on"]["storage-init"]["condition"]
        assert condition == "service_completed_successfully"
    envoy_needs = services["envoy"]["depends_on"]["envoy-config"]["condition"]
    assert envoy_needs == "service_completed_successfully"


def test_only_the_edge_and_file_downloads_are_published(
    services: dict[str, dict[str, Any]],
) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"envoy", "minio"}


def test_the_image_runs_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)
    service_stage = next(stage for stage in stages if " AS service" in stage.splitlines()[0])
    users = re.findall(r"^USER (\S+)", service_stage, flags=re.MULTILINE)
    assert users
    assert not users[-1].startswith(("root", "0"))
    # The web stage's base image runs nginx unprivileged.
    assert "nginx-unprivileged" in dockerfile


def test_the_image_installs_pinned_dependencies_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "-c lock.txt" in dockerfile


@pytest.mark.parametrize("name", SIX_SERVICES)
def test_each_service_logs_in_to_nats_with_only_its_own_password(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert service["environment"]["NATS_USER"] == name
    password_dir = str(Path(service["environment"]["NATS_PASSWORD_FILE"]).parent)
    mounts = [v for v in service["volumes"] if isinstance(v, dict) and v["source"] == "nats-auth"]
    assert mounts == [
        {
            "type": "volume",
            "source": "nats-auth",
            "target": password_dir,
            "read_only": True,
            "volume": {"subpath": name},
        }
    ]


def test_nats_refuses_clients_without_the_generated_users(
    services: dict[str, dict[str, Any]],
) -> None:
    nats = services["nats"]
    config = nats["command"][nats["command"].index("--config") + 1]
    (mount,) = [v for v in nats["volumes"] if isinstance(v, dict)]
    assert config.startswith(mount["target"] + "/")
    assert mount["volume"] == {"subpath": "server"}
    assert nats["depends_on"]["nats-auth"]["condition"] == "service_completed_successfully"
