"""Share links through the real edge: `GET {url}?format=txt` with no account returns the
transcript, `{url}` alone is the web app's shared page, and a revoked link answers 404."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.rest.conftest import Rest
from tests.rest.test_media_and_exports import completed
from tests.rest.test_routes import upload_raw, wav  # noqa: F401

GONE = "This share link has expired or was revoked."


async def test_a_share_url_serves_exports_and_the_page_without_signing_in_until_revoked(
    rest: Rest,
    wav: Path,  # noqa: F811
) -> None:
    owner = await rest.register()
    document = await upload_raw(rest, owner, wav, language="en")
    await completed(rest, owner, str(document["id"]))
    title = (
        await rest.http.get(f"/api/v1/documents/{document['id']}", headers=owner.headers)
    ).json()["document"]["title"]
    created = await rest.http.post(
        f"/api/v1/documents/{document['id']}/shareLinks",
        json={"ttl": "3600s"},
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    link = created.json()["share_link"]
    url = httpx.URL(link["url"])
    assert url.path.startswith("/s/")

    # A stranger: no authorization header, no cookie.
    async with httpx.AsyncClient(base_url=rest.base, timeout=60) as stranger:
        txt = await stranger.get(url.path, params={"format": "txt"})
        vtt = await stranger.get(url.path, params={"format": "vtt"})
        page = await stranger.get(url.path)
        shown = await stranger.get(f"/api/v1/shared/{url.path.removeprefix('/s/')}")

        assert txt.status_code == 200, txt.text
        assert "ship on monday" in txt.text.lower()
        assert txt.headers["content-disposition"].startswith("attachment;")
        assert vtt.status_code == 200
        assert vtt.text.startswith("WEBVTT")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert shown.status_code == 200, shown.text
        assert shown.json()["document"]["title"] == title
        assert shown.json()["transcript"]["segments"]

        revoked = await rest.http.delete(f"/api/v1/shareLinks/{link['id']}", headers=owner.headers)
        assert revoked.status_code == 200, revoked.text
        after = await stranger.get(url.path, params={"format": "txt"})

        assert after.status_code == 404
        assert after.json()["message"] == GONE
        assert (await stranger.get(url.path)).status_code == 200  # the page says so itself
