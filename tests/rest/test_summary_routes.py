"""Summary templates, the summary's language and the structured summary over REST, through
the real Envoy transcoder and the real services (as curl sees them)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests import media
from tests.rest.conftest import Rest, RestUser


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "We decided to ship on Monday. Maria will send the notes by Friday.",
        tmp_path_factory.mktemp("rest-summaries") / "standup.wav",
    )


async def test_summary_templates_are_created_listed_changed_and_deleted_over_rest(
    rest: Rest,
) -> None:
    user = await rest.register()
    created = await rest.http.post(
        "/api/v1/summary-templates",
        json={"name": "Lecture notes", "instructions": "List the homework."},
        headers=user.headers,
    )
    assert created.status_code == 200, created.text
    template = created.json()["summary_template"]
    assert (template["name"], template["instructions"]) == ("Lecture notes", "List the homework.")

    path = f"/api/v1/summary-templates/{template['id']}"
    got = await rest.http.get(path, headers=user.headers)
    assert got.json()["summary_template"]["id"] == template["id"]
    listed = await rest.http.get(
        "/api/v1/summary-templates", params={"page_size": 10}, headers=user.headers
    )
    assert [t["name"] for t in listed.json()["summary_templates"]] == ["Lecture notes"]

    changed = await rest.http.patch(
        path,
        params={"update_mask": "instructions"},
        json={"name": "ignored", "instructions": "List the exam dates."},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (
        changed.json()["summary_template"]["name"],
        changed.json()["summary_template"]["instructions"],
    ) == ("Lecture notes", "List the exam dates.")

    duplicate = await rest.http.post(
        "/api/v1/summary-templates",
        json={"name": "Lecture notes", "instructions": "Again."},
        headers=user.headers,
    )
    assert duplicate.status_code == 409, duplicate.text

    intruder = await rest.register()
    hidden = await rest.http.get(path, headers=intruder.headers)
    assert hidden.status_code == 404
    assert "does not exist" in hidden.json()["message"]

    deleted = await rest.http.delete(path, headers=user.headers)
    assert deleted.status_code == 200, deleted.text
    assert (await rest.http.get(path, headers=user.headers)).status_code == 404


async def _document(rest: Rest, user: RestUser, document_id: str) -> dict[str, Any]:
    response = await rest.http.get(f"/api/v1/documents/{document_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()["document"]
    return document


async def _until_completed(rest: Rest, user: RestUser, document_id: str) -> dict[str, Any]:
    for _ in range(1200):
        document = await _document(rest, user, document_id)
        if document["status"] in ("DOCUMENT_STATUS_COMPLETED", "DOCUMENT_STATUS_FAILED"):
            return document
        await asyncio.sleep(0.25)
    raise AssertionError(f"{document_id} never finished")


@pytest.mark.slow
async def test_upload_with_a_template_then_regenerate_show_the_structured_summary(
    rest: Rest, wav: Path
) -> None:
    user = await rest.register()
    template = (
        await rest.http.post(
            "/api/v1/summary-templates",
            json={"name": "Standup", "instructions": "Who does what by when."},
            headers=user.headers,
        )
    ).json()["summary_template"]
    uploaded = await rest.http.post(
        "/api/v1/documents:upload",
        params={
            "file_name": wav.name,
            "language": "en",
            "summary_language": "en",
            "summary_template_id": template["id"],
        },
        content=wav.read_bytes(),
        headers={**user.headers, "content-type": "audio/wav"},
    )
    assert uploaded.status_code == 200, uploaded.text
    document_id = uploaded.json()["document"]["id"]

    document = await _until_completed(rest, user, document_id)
    assert document["status"] == "DOCUMENT_STATUS_COMPLETED", document["error_message"]
    assert (document["language"], document["summary_language"]) == ("en", "en")
    assert document["summary_template_id"] == template["id"]
    summary = document["summary"]
    assert summary["provider"]
    assert {"decisions", "action_items", "topics"} <= summary.keys()

    regenerated = await rest.http.post(
        f"/api/v1/documents/{document_id}:regenerate",
        json={"summary_length": "SUMMARY_LENGTH_SHORT", "notify": True},
        headers=user.headers,
    )
    assert regenerated.status_code == 200, regenerated.text
    assert regenerated.json()["document"]["language"] == "en"
    again = await _until_completed(rest, user, document_id)
    assert again["status"] == "DOCUMENT_STATUS_COMPLETED", again["error_message"]
