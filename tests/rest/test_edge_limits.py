"""What the edge answers to oversized, unknown or oddly encoded REST input: the HTTP status a
client expects (413, 414/431, 400), never 429 or 5xx, and `+` read as a space."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.mesh.envoy import DEFAULT_MAX_REQUEST_BODY_BYTES
from services.mesh.runner import Mesh
from tests import media
from tests.rest.conftest import Rest, RestUser

# Envoy's limit on a request's headers, the URL among them (HTTP connection manager default).
MAX_REQUEST_HEADERS_BYTES = 60 * 1024


@pytest.fixture(scope="module")
async def user(mesh: Mesh) -> AsyncIterator[RestUser]:
    """One account for the module: sign-ups from one address are rate limited."""
    base = f"http://127.0.0.1:{mesh.settings.envoy_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        yield await Rest(mesh, http).register()


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "The budget meeting is on Monday.", tmp_path_factory.mktemp("edge") / "budget.wav"
    )


async def test_body_over_the_edge_limit_is_413(rest: Rest, user: RestUser) -> None:
    body = b'{"name": "' + b"x" * (DEFAULT_MAX_REQUEST_BODY_BYTES + 1024) + b'"}'
    response = await rest.http.post(
        "/api/v1/folders",
        content=body,
        headers={**user.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text


async def test_body_under_the_edge_limit_but_over_what_the_field_allows_is_400(
    rest: Rest, user: RestUser
) -> None:
    response = await rest.http.post(
        "/api/v1/folders", json={"name": "x" * 5_000_000}, headers=user.headers
    )
    assert response.status_code == 400, response.text


async def test_url_over_the_header_limit_is_refused_as_too_long(rest: Rest, user: RestUser) -> None:
    response = await rest.http.get(
        f"/api/v1/documents/{'a' * (MAX_REQUEST_HEADERS_BYTES + 1024)}", headers=user.headers
    )
    assert response.status_code in {414, 431}, response.text


async def test_long_id_under_the_header_limit_is_400_and_not_echoed(
    rest: Rest, user: RestUser
) -> None:
    response = await rest.http.get(f"/api/v1/documents/{'a' * 40_000}", headers=user.headers)
    assert response.status_code == 400, response.text
    assert len(response.content) < 1000


async def test_headers_over_the_limit_are_431(rest: Rest, user: RestUser) -> None:
    response = await rest.http.get(
        "/api/v1/folders",
        headers={**user.headers, "x-padding": "p" * (MAX_REQUEST_HEADERS_BYTES + 1024)},
    )
    assert response.status_code == 431, response.text


async def test_unknown_json_body_field_is_400(rest: Rest, user: RestUser) -> None:
    response = await rest.http.post(
        "/api/v1/folders", json={"name": "Talks", "colour": "red"}, headers=user.headers
    )
    assert response.status_code == 400, response.text
    assert "colour" in response.text


async def test_unknown_nested_field_is_400_and_both_json_spellings_are_known(
    rest: Rest, user: RestUser
) -> None:
    nested = await rest.http.post(
        "/api/v1/renderer:preview",
        json={"title": "T", "summary": {"summary": "S", "keypoints": ["a"]}},
        headers=user.headers,
    )
    assert nested.status_code == 400, nested.text
    assert "summary.keypoints" in nested.text
    camel = await rest.http.post(
        "/api/v1/uploads",
        json={
            "fileName": "talk.wav",
            "sizeBytes": "1000",
            "summary_length": "SUMMARY_LENGTH_SHORT",
        },
        headers=user.headers,
    )
    assert camel.status_code == 200, camel.text


async def test_plus_in_a_query_is_a_space(rest: Rest, user: RestUser, wav: Path) -> None:
    uploaded = await rest.http.post(
        "/api/v1/documents:upload",
        params={"file_name": wav.name, "title": "Budget meeting"},
        content=wav.read_bytes(),
        headers={**user.headers, "content-type": "audio/wav"},
    )
    assert uploaded.status_code == 200, uploaded.text
    # Written out by hand: clients differ in how they encode spaces in a query.
    listed = await rest.http.get("/api/v1/documents?query=budget+meeting", headers=user.headers)
    assert listed.status_code == 200, listed.text
    assert [d["title"] for d in listed.json()["documents"]] == ["Budget meeting"]


async def test_titles_with_control_characters_are_cleaned_over_rest(
    rest: Rest, user: RestUser
) -> None:
    created = await rest.http.post(
        "/api/v1/folders", json={"name": "Board\u0000 \u202eminutes\u001b"}, headers=user.headers
    )
    assert created.status_code == 200, created.text
    assert created.json()["folder"]["name"] == "Board minutes"
