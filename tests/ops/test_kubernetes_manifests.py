"""deploy/kubernetes renders, every object is valid for the Kubernetes version we support
(strict: unknown fields are errors), and the manifests keep what production needs: probes,
non-root pods with limits, only Envoy reachable from outside, a 3-server JetStream cluster,
the transcriber autoscaled on its consumers' backlog, Secrets that the script writes."""

from __future__ import annotations

import base64
import copy
import shlex
import subprocess
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from services.auth.keys import load_or_create_signing_key
from services.kernel.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING
from services.mesh.nats_auth import OPERATOR, SERVICE_NAMES
from services.mesh.services import SERVICES, SPEECH_API
from tests.ops.kubernetes_manifests import (
    ALL_SERVICES,
    ENVOY_PORT,
    GENERATE_SECRETS,
    KUBERNETES_VERSION,
    NATS_CLIENT_PORT,
    NEWEST_KUBERNETES_VERSION,
    NOT_SETTINGS,
    OUTSIDE,
    RESTORE_JOB,
    ROOT,
    SETTINGS_OF_CONTAINER,
    SETTINGS_OF_CONTAINER_SERVICES,
    SPEECH_API_HTTP_PORT,
    WORKLOAD_KINDS,
    WRITTEN_PATHS,
    Object,
    Peer,
    container_environment,
    containers,
    generate_secrets,
    is_speechflow,
    known_env_names,
    kubernetes_name,
    mount_of,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    quantity,
    reachable,
    referenced_secret_keys,
    script_environment,
    selects,
    service_workload,
    speechflow_containers,
    transcriber_durables,
    validate,
)

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
