"""`GET /api/v1/documents:search` through Envoy: ranked results as JSON, errors as 400s."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import media
from tests.rest.conftest import Rest
from tests.rest.test_routes import upload_raw


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "A short note about the launch.", tmp_path_factory.mktemp("rest-search") / "note.wav"
    )


async def test_search_route_answers_with_ranked_results_and_highlights(
    rest: Rest, wav: Path
) -> None:
    owner, other = await rest.register(), await rest.register()
    document = await upload_raw(rest, owner, wav, title="Zeppelin launch plan")

    found = await rest.http.get(
        "/api/v1/documents:search", params={"query": "zeppelin la"}, headers=owner.headers
    )
    unseen = await rest.http.get(
        "/api/v1/documents:search", params={"query": "zeppelin"}, headers=other.headers
    )
    no_words = await rest.http.get(
        "/api/v1/documents:search", params={"query": '"*"'}, headers=owner.headers
    )

    assert found.status_code == 200, found.text
    [result] = found.json()["results"]
    assert result["document"]["id"] == document["id"]
    assert result["snippets"][0]["text"] == "Zeppelin launch plan"
    assert result["snippets"][0]["highlights"] == [
        {"start": 0, "end": 8},
        {"start": 9, "end": 15},
    ]
    assert unseen.status_code == 200
    assert unseen.json().get("results", []) == []
    assert no_words.status_code == 400
    assert "no words" in no_words.text
