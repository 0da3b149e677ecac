"""Every REST route of the API, through the real Envoy transcoder and the real services."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.mesh.runner import Mesh
from speechflow import auth, library, notifier, renderer, summarizer, transcriber  # noqa: F401
from tests import media
from tests.fixtures.mesh import MAX_UPLOAD_BYTES
from tests.rest.conftest import Rest, RestUser


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "Hello from the REST API test. We decided to ship on Monday.",
        tmp_path_factory.mktemp("rest") / "hello.wav",
    )


def sse_events(text: str) -> list[dict[str, Any]]:
    """Server-streaming routes answer as Server-Sent Events: `data: {json}` blocks."""
    return [
        json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")
    ]


async def upload_raw(rest: Rest, user: RestUser, wav: Path, **params: str) -> dict[str, Any]:
    response = await rest.http.post(
        "/api/v1/documents:upload",
        params={"file_name": wav.name, **params},
        content=wav.read_bytes(),
        headers={**user.headers, "content-type": "audio/wav"},
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()["document"]
    return document


async def wait_for_healthz(rest: Rest) -> httpx.Response:
    for _ in range(100):
        response = await rest.http.get("/healthz")
        if response.status_code == 200:
            return response
        await asyncio.sleep(0.2)
    return response


async def test_healthz_reports_every_service_serving(rest: Rest) -> None:
    assert (await wait_for_healthz(rest)).status_code == 200


async def test_auth_routes(rest: Rest) -> None:
    user = await rest.register()
    me = await rest.http.get("/api/v1/auth/me", headers=user.headers)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == user.email
    assert me.json()["user"]["role"] == "ROLE_USER"  # enums by name
    login = await rest.http.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "correct horse battery"}
    )
    assert login.status_code == 200
    assert login.json()["tokens"]["access_token_expires_at"].endswith("Z")  # RFC 3339
    refreshed = await rest.http.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh})
    assert refreshed.status_code == 200
    reused = await rest.http.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh})
    assert reused.status_code == 401
    assert reused.json()["details"][0]["reason"] == "REFRESH_TOKEN_REUSED"
    logout = await rest.http.post(
        "/api/v1/auth/logout", json={"refresh_token": login.json()["tokens"]["refresh_token"]}
    )
    assert logout.status_code == 200


async def test_folder_routes(rest: Rest) -> None:
    user = await rest.register()
    created = await rest.http.post("/api/v1/folders", json={"name": "Talks"}, headers=user.headers)
    assert created.status_code == 200, created.text
    folder_id = created.json()["folder"]["id"]
    listed = await rest.http.get("/api/v1/folders", params={"page_size": 10}, headers=user.headers)
    assert [f["name"] for f in listed.json()["folders"]] == ["Talks"]
    got = await rest.http.get(f"/api/v1/folders/{folder_id}", headers=user.headers)
    assert got.json()["folder"]["document_count"] == 0
    renamed = await rest.http.patch(
        f"/api/v1/folders/{folder_id}",
        params={"update_mask": "name"},
        json={"name": "Conference talks"},
        headers=user.headers,
    )
    assert renamed.json()["folder"]["name"] == "Conference talks", renamed.text
    deleted = await rest.http.delete(f"/api/v1/folders/{folder_id}", headers=user.headers)
    assert deleted.status_code == 200
    gone = await rest.http.get(f"/api/v1/folders/{folder_id}", headers=user.headers)
    assert gone.status_code == 404


async def test_document_routes_including_raw_upload_and_resumable_upload(
    rest: Rest, wav: Path
) -> None:
    user = await rest.register()
    document = await upload_raw(rest, user, wav, title="Hello", language="en")
    document_id = str(document["id"])
    assert document["status"] == "DOCUMENT_STATUS_PROCESSING"
    assert document["content_type"] == "audio/wav"
    assert document["size_bytes"] == str(wav.stat().st_size)  # int64 as a string
    listed = await rest.http.get(
        "/api/v1/documents", params={"page_size": 5, "query": "Hello"}, headers=user.headers
    )
    assert [d["id"] for d in listed.json()["documents"]] == [document_id]
    patched = await rest.http.patch(
        f"/api/v1/documents/{document_id}",
        params={"update_mask": "title"},
        json={"title": "Renamed"},
        headers=user.headers,
    )
    assert patched.json()["document"]["title"] == "Renamed", patched.text
    got = await rest.http.get(f"/api/v1/documents/{document_id}", headers=user.headers)
    assert got.json()["document"]["title"] == "Renamed"
    url = await rest.http.get(
        f"/api/v1/documents/{document_id}/download-url",
        params={"kind": "FILE_KIND_ORIGINAL"},
        headers=user.headers,
    )
    link = url.json()["url"]
    fetched = await rest.http.get(httpx.URL(link).raw_path.decode())
    assert fetched.content == wav.read_bytes()
    original = await rest.http.get(
        f"/api/v1/documents/{document_id}/content",
        params={"kind": "FILE_KIND_ORIGINAL"},
        headers=user.headers,
    )
    assert original.headers["content-type"] == "audio/wav"
    assert "hello.wav" in original.headers["content-disposition"]
    assert original.content == wav.read_bytes()
    chunks = await rest.http.get(
        f"/api/v1/documents/{document_id}:download",
        params={"kind": "FILE_KIND_ORIGINAL"},
        headers=user.headers,
    )
    streamed = b"".join(base64.b64decode(m["data"]) for m in sse_events(chunks.text))
    assert streamed == wav.read_bytes()

    data = wav.read_bytes()
    started = await rest.http.post(
        "/api/v1/uploads",
        json={"file_name": "resumed.wav", "size_bytes": len(data)},
        headers=user.headers,
    )
    upload_id = started.json()["upload_id"]
    half = len(data) // 2
    put = await rest.http.put(
        f"/api/v1/uploads/{upload_id}",
        params={"offset": 0},
        content=data[:half],
        headers={**user.headers, "content-type": "application/octet-stream"},
    )
    assert put.json()["received_bytes"] == str(half), put.text
    chunk = await rest.http.post(
        f"/api/v1/uploads/{upload_id}:chunk",
        json={"offset": half, "data": base64.b64encode(data[half:]).decode()},
        headers=user.headers,
    )
    assert chunk.json()["received_bytes"] == str(len(data))
    progress = await rest.http.get(f"/api/v1/uploads/{upload_id}", headers=user.headers)
    assert progress.json()["received_bytes"] == str(len(data))
    finished = await rest.http.post(
        f"/api/v1/uploads/{upload_id}:finish", json={}, headers=user.headers
    )
    assert finished.json()["document"]["original_file_name"] == "resumed.wav"

    messages = [
        {"metadata": {"file_name": "streamed.wav", "size_bytes": len(data)}},
        {"chunk": base64.b64encode(data).decode()},
    ]
    streamed_upload = await rest.http.post(
        "/api/v1/documents:stream", content=json.dumps(messages), headers=user.headers
    )
    assert streamed_upload.json()["document"]["original_file_name"] == "streamed.wav", (
        streamed_upload.text
    )

    deleted = await rest.http.delete(f"/api/v1/documents/{document_id}", headers=user.headers)
    assert deleted.status_code == 200
    assert (
        await rest.http.get(f"/api/v1/documents/{document_id}", headers=user.headers)
    ).status_code == 404


async def test_stage_info_and_render_preview_routes(rest: Rest) -> None:
    user = await rest.register()
    for stage in ("transcriber", "summarizer", "renderer", "notifier"):
        info = await rest.http.get(f"/api/v1/{stage}/info", headers=user.headers)
        assert info.status_code == 200, (stage, info.text)
        assert info.json()["version"]
    preview = await rest.http.post(
        "/api/v1/renderer:preview",
        json={
            "title": "Preview",
            "language": "en",
            "transcript": {"segments": [{"start_seconds": 0, "end_seconds": 2, "text": "Hi"}]},
            "summary": {"summary": "A greeting."},
        },
        headers=user.headers,
    )
    assert preview.status_code == 200, preview.text
    assert base64.b64decode(preview.json()["pdf"]).startswith(b"%PDF")


async def test_job_routes_for_admins_only(rest: Rest) -> None:
    user = await rest.register()
    denied = await rest.http.get("/api/v1/jobs", headers=user.headers)
    assert denied.status_code == 403
    assert denied.json()["message"]
    admin = await rest.register(admin=True)
    jobs = await rest.http.get("/api/v1/jobs", params={"page_size": 5}, headers=admin.headers)
    assert jobs.status_code == 200, jobs.text
    missing = await rest.http.get("/api/v1/jobs/nope", headers=admin.headers)
    assert missing.status_code == 404
    retry = await rest.http.post("/api/v1/jobs/nope:retry", json={}, headers=admin.headers)
    assert retry.status_code == 404


async def test_openapi_document_describes_every_route(rest: Rest) -> None:
    spec = await rest.http.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/api/v1/auth/login", "/api/v1/documents:upload", "/api/v1/jobs/{job_id}:retry"):
        assert path in paths
    page = await rest.http.get("/api/docs/")
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text


async def test_bad_requests_get_http_statuses_and_json_errors(
    rest: Rest, wav: Path, mesh: Mesh
) -> None:
    user = await rest.register()
    other = await rest.register()
    malformed = await rest.http.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    wrong_type = await rest.http.post("/api/v1/auth/login", json={"email": 42, "password": []})
    assert wrong_type.status_code == 400
    unknown = await rest.http.get(
        "/api/v1/documents", params={"colour": "red"}, headers=user.headers
    )
    assert unknown.status_code == 400
    anonymous = await rest.http.get("/api/v1/documents")
    assert anonymous.status_code == 401
    assert anonymous.json()["details"][0]["reason"] == "TOKEN_MISSING"
    expired = await rest.http.get(
        "/api/v1/documents", headers={"authorization": "Bearer eyJhbGciOiJFZERTQSJ9.e30.x"}
    )
    assert expired.status_code == 401
    document = await upload_raw(rest, user, wav)
    foreign = await rest.http.get(f"/api/v1/documents/{document['id']}", headers=other.headers)
    assert foreign.status_code == 404
    assert foreign.json()["code"] == 5
    wrong_method = await rest.http.put("/api/v1/auth/login", json={})
    assert wrong_method.status_code in (404, 405)
    unmapped = await rest.http.get("/api/v1/nothing-here", headers=user.headers)
    assert unmapped.status_code == 404
    oversize = await rest.http.post(
        "/api/v1/documents:upload",
        params={"file_name": "huge.wav"},
        content=b"\0" * (MAX_UPLOAD_BYTES + 1),
        headers={**user.headers, "content-type": "audio/wav"},
    )
    assert oversize.status_code == 400
    assert "limit" in oversize.json()["message"]
    stored = list((mesh.data_dir / "objects" / "uploads").rglob("original.*"))
    assert all(document["id"] in str(p) or "huge" not in str(p) for p in stored)
    listed = await rest.http.get("/api/v1/documents", headers=user.headers)
    assert len(listed.json()["documents"]) == 1
