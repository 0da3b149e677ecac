"""Every service exposes Prometheus metrics; RPCs are counted by method and status."""

from __future__ import annotations

import grpc
import httpx

from services.kernel.metrics import serve_metrics
from services.mesh.processes import free_port
from speechflow.auth.v1 import auth_pb2
from tests.auth.conftest import AuthHarness
from tests.grpc_helpers import call_fails


async def test_rpcs_are_counted_by_method_and_status(auth: AuthHarness) -> None:
    port = free_port()
    serve_metrics("127.0.0.1", port)
    await auth.stub.Register(
        auth_pb2.RegisterRequest(email="metrics@example.com", password="correct horse battery")
    )
    await call_fails(
        auth.stub.Login(auth_pb2.LoginRequest(email="metrics@example.com", password="nope-nope")),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    register = 'method="/speechflow.auth.v1.AuthService/Register"'
    assert f'speechflow_rpc_requests_total{{code="OK",{register}}}' in text
    assert 'code="UNAUTHENTICATED",method="/speechflow.auth.v1.AuthService/Login"' in text
    assert "speechflow_rpc_duration_seconds_bucket" in text
