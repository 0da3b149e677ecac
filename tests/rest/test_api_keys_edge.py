"""An API key works on the library wherever an access token does, through the real edge: native
gRPC, gRPC-Web (as a browser speaks it) and REST; keys are managed over REST too."""

from __future__ import annotations

from typing import Any

import grpc
import grpc.aio
import pytest

from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2, library_pb2_grpc
from tests.grpc_helpers import bearer, call_fails
from tests.grpc_web import grpc_status_of, grpc_web_frame, parse_grpc_web_body
from tests.rest.conftest import Rest, RestUser

LIBRARY = "speechflow.library.v1.LibraryService"


async def create_key(rest: Rest, user: RestUser, name: str = "edge test") -> dict[str, Any]:
    response = await rest.http.post(
        "/api/v1/auth/me/apiKeys", json={"name": name}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def make_folder(rest: Rest, user: RestUser, name: str) -> str:
    response = await rest.http.post("/api/v1/folders", json={"name": name}, headers=user.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["folder"]["id"])


async def test_a_key_lists_the_users_folders_over_rest(rest: Rest) -> None:
    user = await rest.register()
    await make_folder(rest, user, "Board meetings")
    secret = (await create_key(rest, user))["secret"]
    listed = await rest.http.get("/api/v1/folders", headers={"authorization": f"Bearer {secret}"})
    assert listed.status_code == 200, listed.text
    assert [f["name"] for f in listed.json()["folders"]] == ["Board meetings"]


async def test_a_key_works_over_native_grpc_through_envoy(mesh: Mesh, rest: Rest) -> None:
    user = await rest.register()
    await make_folder(rest, user, "Interviews")
    secret = (await create_key(rest, user))["secret"]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.settings.envoy_port}") as channel:
        stub: Any = library_pb2_grpc.LibraryServiceStub(channel)
        listed = await stub.ListFolders(library_pb2.ListFoldersRequest(), metadata=bearer(secret))
        assert [f.name for f in listed.folders] == ["Interviews"]
        await call_fails(
            stub.ListFolders(library_pb2.ListFoldersRequest(), metadata=bearer("sf_nope")),
            grpc.StatusCode.UNAUTHENTICATED,
        )


async def test_a_key_works_over_grpc_web(rest: Rest) -> None:
    user = await rest.register()
    await make_folder(rest, user, "Lectures")
    secret = (await create_key(rest, user))["secret"]
    response = await rest.http.post(
        f"/{LIBRARY}/ListFolders",
        content=grpc_web_frame(library_pb2.ListFoldersRequest().SerializeToString()),
        headers={
            "content-type": "application/grpc-web+proto",
            "x-grpc-web": "1",
            "authorization": f"Bearer {secret}",
        },
    )
    reply = parse_grpc_web_body(response.content)
    assert grpc_status_of(response, reply)[0] == "0", response.headers
    listed = library_pb2.ListFoldersResponse.FromString(reply.messages[0])
    assert [f.name for f in listed.folders] == ["Lectures"]


async def test_keys_are_listed_and_revoked_over_rest(rest: Rest) -> None:
    user = await rest.register()
    created = await create_key(rest, user, "nightly")
    key = created["api_key"]
    assert created["secret"].startswith(key["prefix"])
    listed = await rest.http.get("/api/v1/auth/me/apiKeys", headers=user.headers)
    assert [k["name"] for k in listed.json()["api_keys"]] == ["nightly"]
    assert "secret" not in listed.text
    revoked = await rest.http.delete(f"/api/v1/auth/me/apiKeys/{key['id']}", headers=user.headers)
    assert revoked.status_code == 200, revoked.text
    again = await rest.http.delete(f"/api/v1/auth/me/apiKeys/{key['id']}", headers=user.headers)
    assert again.status_code == 404
    # Auth checks keys itself on every call: refused there at once.
    me = await rest.http.get(
        "/api/v1/auth/me", headers={"authorization": f"Bearer {created['secret']}"}
    )
    assert me.status_code == 401


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 101}])
async def test_a_bad_key_name_is_400(rest: Rest, body: dict[str, str]) -> None:
    user = await rest.register()
    response = await rest.http.post("/api/v1/auth/me/apiKeys", json=body, headers=user.headers)
    assert response.status_code == 400
