"""Through the real edge: files shown inline, byte ranges answered with 206 (local store and
S3 presigned links), transcript edits and exports over REST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import srt

from services.mesh.runner import Mesh
from tests.rest.conftest import Rest, RestUser
from tests.rest.test_routes import sse_events, upload_raw, wav  # noqa: F401


async def original_link(rest: Rest, user: RestUser, document_id: str) -> str:
    response = await rest.http.get(
        f"/api/v1/documents/{document_id}/download-url",
        params={"kind": "FILE_KIND_ORIGINAL"},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


async def completed(rest: Rest, user: RestUser, document_id: str) -> None:
    watch = await rest.http.get(
        f"/api/v1/documents/{document_id}:watch", headers=user.headers, timeout=600
    )
    assert sse_events(watch.text)[-1]["status"] == "DOCUMENT_STATUS_COMPLETED", watch.text


async def test_a_range_of_the_original_is_partial_content_through_the_edge(
    rest: Rest,
    wav: Path,  # noqa: F811
) -> None:
    user = await rest.register()
    document = await upload_raw(rest, user, wav)
    data = wav.read_bytes()
    link = httpx.URL(await original_link(rest, user, str(document["id"])))

    part = await rest.http.get(link.raw_path.decode(), headers={"range": "bytes=100-1099"})
    tail = await rest.http.get(link.raw_path.decode(), headers={"range": "bytes=-10"})
    whole = await rest.http.get(link.raw_path.decode())
    content = await rest.http.get(
        f"/api/v1/documents/{document['id']}/content",
        params={"kind": "FILE_KIND_ORIGINAL"},
        headers={**user.headers, "range": "bytes=44-"},
    )

    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    assert part.content == data[100:1100]
    assert part.headers["content-disposition"].startswith("inline;")
    assert (tail.status_code, tail.content) == (206, data[-10:])
    assert (whole.status_code, whole.content) == (200, data)
    assert whole.headers["accept-ranges"] == "bytes"
    assert (content.status_code, content.content) == (206, data[44:])


async def test_an_unsatisfiable_range_gets_the_whole_file(
    rest: Rest,
    wav: Path,  # noqa: F811
) -> None:
    user = await rest.register()
    document = await upload_raw(rest, user, wav)
    link = httpx.URL(await original_link(rest, user, str(document["id"])))

    response = await rest.http.get(link.raw_path.decode(), headers={"range": "bytes=99999999-"})

    assert (response.status_code, response.content) == (200, wav.read_bytes())


async def test_s3_presigned_links_answer_ranges_and_show_inline(
    mesh_postgres_s3: Mesh,
    wav: Path,  # noqa: F811
) -> None:
    base = f"http://127.0.0.1:{mesh_postgres_s3.settings.envoy_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        rest = Rest(mesh_postgres_s3, http)
        user = await rest.register()
        document = await upload_raw(rest, user, wav)
        link = await original_link(rest, user, str(document["id"]))
        assert not link.startswith(base)  # straight to the object store
        part = await http.get(link, headers={"range": "bytes=0-99"})

    assert part.status_code == 206
    assert part.content == wav.read_bytes()[:100]
    assert part.headers["content-disposition"].startswith("inline;")


@pytest.mark.slow
async def test_rename_a_speaker_and_export_srt_over_rest(
    rest: Rest,
    wav: Path,  # noqa: F811
) -> None:
    user = await rest.register()
    document = await upload_raw(rest, user, wav, title="Ship plan", language="en")
    document_id = str(document["id"])
    await completed(rest, user, document_id)
    transcript: dict[str, Any] = (
        await rest.http.get(f"/api/v1/documents/{document_id}/transcript", headers=user.headers)
    ).json()["transcript"]
    speaker_id = transcript["segments"][0]["speaker_id"]

    edited = await rest.http.patch(
        f"/api/v1/documents/{document_id}/transcript",
        json={
            "speakers": [{"id": speaker_id, "display_name": "Ada Lovelace"}],
            "revision": transcript["revision"],
        },
        headers=user.headers,
    )
    exported = await rest.http.get(
        f"/api/v1/documents/{document_id}/export", params={"format": "srt"}, headers=user.headers
    )

    assert edited.status_code == 200, edited.text
    assert edited.json()["transcript"]["revision"] == transcript["revision"] + 1
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/x-subrip")
    assert exported.headers["content-disposition"].startswith(
        'attachment; filename="Ship-plan.srt"'
    )
    cues = list(srt.parse(exported.text))
    assert cues
    assert cues[0].content.startswith("Ada Lovelace: ")
    stale = await rest.http.patch(
        f"/api/v1/documents/{document_id}/transcript",
        json={"speakers": [{"id": speaker_id, "display_name": "B"}], "revision": 1},
        headers=user.headers,
    )
    assert stale.status_code == 409


async def test_a_download_link_saves_the_file_and_a_viewing_link_shows_it(
    rest: Rest,
    wav: Path,  # noqa: F811
) -> None:
    user = await rest.register()
    document = await upload_raw(rest, user, wav)
    asked = await rest.http.get(
        f"/api/v1/documents/{document['id']}/download-url",
        params={"kind": "FILE_KIND_ORIGINAL", "download": "true"},
        headers=user.headers,
    )
    link = httpx.URL(str(asked.json()["url"]))

    saved = await rest.http.get(link.raw_path.decode())
    content = await rest.http.get(
        f"/api/v1/documents/{document['id']}/content",
        params={"kind": "FILE_KIND_ORIGINAL", "download": "true"},
        headers=user.headers,
    )
    shown = await rest.http.get(
        f"/api/v1/documents/{document['id']}/content",
        params={"kind": "FILE_KIND_ORIGINAL"},
        headers=user.headers,
    )

    assert saved.headers["content-disposition"].startswith("attachment;")
    assert content.headers["content-disposition"].startswith("attachment;")
    assert shown.headers["content-disposition"].startswith("inline;")
    assert saved.content == wav.read_bytes()
