"""GDPR across services: export everything as a zip; delete the account everywhere."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests import media
from tests.rest.conftest import PASSWORD, Rest
from tests.rest.test_routes import sse_events, upload_raw

pytestmark = pytest.mark.slow


async def test_export_then_delete_account_removes_the_user_everywhere(
    rest: Rest, tmp_path: Path
) -> None:
    user = await rest.register()
    talk = media.synthesize_speech("Our privacy review is finished.", tmp_path / "privacy.wav")
    document = await upload_raw(rest, user, talk, language="en")
    watch = await rest.http.get(f"/api/v1/documents/{document['id']}:watch", headers=user.headers)
    assert sse_events(watch.text)[-1]["status"] == "DOCUMENT_STATUS_COMPLETED"
    await rest.http.post("/api/v1/folders", json={"name": "Private"}, headers=user.headers)

    export = await rest.http.get("/api/v1/auth/me:export", headers=user.headers)
    assert export.status_code == 200, export.text
    assert export.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    names = set(archive.namelist())
    folder = f"documents/{document['id']}"
    assert {"profile.json", "folders.json", "documents.json"} <= names
    assert {f"{folder}/transcript.txt", f"{folder}/summary.txt", f"{folder}/report.pdf"} <= names
    assert json.loads(archive.read("profile.json"))["email"] == user.email
    assert json.loads(archive.read("folders.json"))[0]["name"] == "Private"
    assert archive.read(f"{folder}/report.pdf").startswith(b"%PDF")
    assert "finished" in archive.read(f"{folder}/transcript.txt").decode().lower()

    wrong = await rest.http.request(
        "DELETE", "/api/v1/auth/me", json={"password": "not my password"}, headers=user.headers
    )
    assert wrong.status_code == 403
    deleted = await rest.http.request(
        "DELETE", "/api/v1/auth/me", json={"password": PASSWORD}, headers=user.headers
    )
    assert deleted.status_code == 200, deleted.text
    assert (await rest.http.get("/api/v1/auth/me", headers=user.headers)).status_code == 401
    login = await rest.http.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert login.status_code == 401
    refresh = await rest.http.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh})
    assert refresh.status_code == 401
    objects = rest.mesh.data_dir / "objects"
    for _ in range(100):  # the library removes the data when it consumes user.deleted
        listed = await rest.http.get("/api/v1/documents", headers=user.headers)
        leftovers = [p for p in objects.rglob("*") if document["id"] in str(p) and p.is_file()]
        if listed.status_code == 401 and not leftovers:
            break
        await asyncio.sleep(0.1)
    assert listed.status_code == 401
    assert listed.json()["details"][0]["reason"] == "ACCOUNT_DELETED"
    assert leftovers == []
