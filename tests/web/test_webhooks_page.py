"""The account page's webhooks in headless Chromium against the real mesh: a loopback target
refused with the reason, a webhook added with its signing secret shown once, its (empty)
deliveries, then deleted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Dialog, Page, expect

from tests.web.conftest import new_email, register

# A public address given literally (the shared mesh refuses private targets); nothing
# completes for this user, so it is never called.
TARGET = "http://8.8.8.8/speechflow-hook"


async def open_account(page: Page) -> None:
    await page.get_by_role("link", name=re.compile("Wendy")).click()
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()


@pytest.mark.asyncio
async def test_a_webhook_is_added_with_its_secret_shown_once_and_deleted(
    page: Page, artifacts: Path
) -> None:
    await register(page, new_email())
    await open_account(page)
    webhooks = page.get_by_role("region", name="Webhooks")
    await expect(webhooks).to_contain_text("No webhooks yet.")

    await webhooks.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hook")
    await webhooks.get_by_role("button", name="Add webhook").click()
    await expect(webhooks.get_by_role("alert")).to_contain_text("loopback, private or link-local")

    await webhooks.get_by_label("Endpoint URL").fill(TARGET)
    await webhooks.get_by_label("document.failed").uncheck()
    await webhooks.get_by_role("button", name="Add webhook").click()
    secret = webhooks.get_by_label("Signing secret")
    await expect(secret).to_have_value(re.compile(r"^whsec_\S{40,}$"))
    await expect(webhooks).to_contain_text("shown only this once")
    row = webhooks.get_by_role("row", name=TARGET)
    await expect(row).to_contain_text("document.completed")
    await expect(row).not_to_contain_text("document.failed")
    await row.get_by_role("button", name=f"Deliveries to {TARGET}").click()
    await expect(webhooks).to_contain_text("No deliveries yet.")
    await page.screenshot(path=artifacts / "31-webhooks.png", full_page=True)

    await page.reload()
    await expect(webhooks.get_by_label("Signing secret")).to_have_count(0)

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    await row.get_by_role("button", name=f"Delete {TARGET}").click()
    await expect(page.locator(".toast").last).to_contain_text("Webhook deleted")
    await expect(webhooks).to_contain_text("No webhooks yet.")
