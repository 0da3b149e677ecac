"""Share links in headless Chromium against the real mesh: the owner makes a link on the
document page; a fresh browser that never signed in opens it and sees the transcript with its
speakers and the summary, and plays the recording; after the owner revokes it, it says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Dialog, expect

from tests import media
from tests.web.conftest import new_email, register

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# A ceiling for a busy machine, not a measurement.
PIPELINE_CEILING_MS = 600_000
GONE = "This share link has expired or was revoked."


@pytest.mark.asyncio
async def test_a_shared_link_opens_transcript_summary_and_player_without_signing_in(
    browser: Browser, app_url: str, tmp_path: Path, artifacts: Path
) -> None:
    wav = media.synthesize_speech(
        "The team agreed to share the quarterly plan with every partner.",
        tmp_path / "shared-plan.wav",
    )
    owner_context = await browser.new_context(base_url=app_url)
    owner_context.set_default_timeout(15_000)
    owner = await owner_context.new_page()
    await register(owner, new_email())
    await owner.get_by_label("Language").select_option("en")
    await owner.locator("#upload-picker").set_input_files(wav)
    await (
        owner.locator(".upload-item")
        .filter(has_text=wav.name)
        .get_by_role("link", name=re.compile("^Open"))
        .click()
    )
    await expect(owner.locator("#stage-text")).to_have_text("Done", timeout=PIPELINE_CEILING_MS)

    await owner.locator(".share-menu > summary").click()
    await owner.get_by_label("Link works for").select_option("30")
    await owner.get_by_role("button", name="Create link").click()
    url = await owner.locator(".share-url").input_value()
    assert "/s/" in url
    await expect(owner.locator(".share-table tbody tr")).to_have_count(1)

    stranger_context = await browser.new_context(base_url=app_url)
    stranger_context.set_default_timeout(15_000)
    stranger = await stranger_context.new_page()
    try:
        await stranger.goto(url)
        await expect(stranger.get_by_role("heading", name="Transcript")).to_be_visible()
        await expect(stranger.locator(".turn").first).to_contain_text("quarterly plan")
        await expect(stranger.locator(".turn-speaker").first).to_have_text(re.compile("Speaker"))
        await expect(stranger.get_by_role("heading", name="Summary")).to_be_visible()
        await expect(stranger.get_by_role("link", name="Text (.txt)")).to_be_visible()
        assert stranger.url.endswith(url.split("/s/", 1)[1])  # not sent to the sign-in page
        await stranger.screenshot(path=artifacts / "40-shared-page.png")

        await stranger.locator(".turn-time").first.click()
        await stranger.wait_for_function(
            "() => { const m = document.querySelector('.media');"
            " return m && m.readyState >= 2 && (!m.paused || m.currentTime > 0); }"
        )

        async def accept(dialog: Dialog) -> None:
            await dialog.accept()

        owner.on("dialog", accept)
        await owner.get_by_role("button", name=re.compile("^Revoke")).click()
        await expect(owner.locator(".share-state")).to_have_text("Revoked")

        await stranger.reload()
        await expect(stranger.get_by_role("alert")).to_have_text(GONE)
        await expect(stranger.locator(".turn")).to_have_count(0)
    finally:
        await stranger_context.close()
        await owner_context.close()
