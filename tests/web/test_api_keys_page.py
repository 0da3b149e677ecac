"""The account page's API keys in headless Chromium against the real mesh: the secret shown
once with a copy button, the key working from a script, its last use shown, then revoked."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Dialog, Page, expect

from tests.web.conftest import new_email, register


async def open_account(page: Page) -> None:
    await page.get_by_role("link", name=re.compile("Wendy")).click()
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()


@pytest.mark.asyncio
async def test_a_key_is_created_shown_once_used_and_revoked(
    context: BrowserContext, page: Page, app_url: str, artifacts: Path
) -> None:
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    await register(page, new_email())
    await open_account(page)
    keys = page.get_by_role("region", name="API keys")
    await expect(keys).to_contain_text("No API keys yet.")

    await keys.get_by_label("Key name").fill("ci script")
    await keys.get_by_role("button", name="Create key").click()
    secret_field = keys.get_by_label("New API key")
    await expect(secret_field).to_have_value(re.compile(r"^sf_\S{40,}$"))
    secret = await secret_field.input_value()
    await expect(keys).to_contain_text("shown only this once")
    await keys.get_by_role("button", name="Copy").click()
    await expect(page.locator(".toast").last).to_contain_text("API key copied")
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    row = keys.get_by_role("row", name=re.compile("ci script"))
    await expect(row).to_contain_text("Never")
    await expect(row).to_contain_text(secret[:11])
    await page.screenshot(path=artifacts / "30-api-keys.png", full_page=True)

    async with httpx.AsyncClient(base_url=app_url) as script:
        me = await script.get("/api/v1/auth/me", headers={"authorization": f"Bearer {secret}"})
    assert me.status_code == 200, me.text

    # Shown once: after a reload only the prefix is left, with the key's last use.
    await page.reload()
    await expect(keys.get_by_label("New API key")).to_have_count(0)
    await expect(row).not_to_contain_text("Never")

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    await row.get_by_role("button", name="Revoke ci script").click()
    await expect(page.locator(".toast").last).to_contain_text("revoked")
    await expect(keys).to_contain_text("No API keys yet.")
    async with httpx.AsyncClient(base_url=app_url) as script:
        refused = await script.get("/api/v1/auth/me", headers={"authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
