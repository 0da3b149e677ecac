"""The account page in headless Chromium against the real mesh: change the password, download
your data, delete the account; each confirmed in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.web.conftest import PASSWORD, new_email, register

NEW_PASSWORD = "a new and longer passphrase"


async def open_account(page: Page) -> None:
    await page.get_by_role("link", name=re.compile("Wendy")).click()
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()


@pytest.mark.asyncio
async def test_a_changed_password_is_the_one_that_signs_in(page: Page, artifacts: Path) -> None:
    email = new_email()
    await register(page, email)
    await open_account(page)
    await expect(page.locator(".profile")).to_contain_text(email)

    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("New password again").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()

    await expect(page.locator(".toast").last).to_contain_text("Password changed")
    await page.screenshot(path=artifacts / "14-account.png", full_page=True)
    await page.get_by_role("button", name="Log out").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("incorrect")
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="All documents")).to_be_visible()


@pytest.mark.asyncio
async def test_a_wrong_current_password_is_said_in_words(page: Page) -> None:
    await register(page, new_email())
    await open_account(page)

    await page.get_by_label("Current password").fill("not my password")
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("New password again").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()

    alert = page.locator(".account-form .alert").first
    await expect(alert).to_be_visible()
    await expect(alert).not_to_contain_text(re.compile(r"Unauthenticated|InvalidArgument"))


@pytest.mark.asyncio
async def test_my_data_downloads_and_the_account_can_be_deleted(page: Page) -> None:
    email = new_email()
    await register(page, email)
    await open_account(page)

    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download my data").click()
    exported = Path(await (await info.value).path()).read_bytes()
    assert email.encode() in exported or exported[:2] == b"PK"

    await page.get_by_label("Your password").fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Delete my account").click()

    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("incorrect")
