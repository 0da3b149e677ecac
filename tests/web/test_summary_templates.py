"""Summary templates in headless Chromium against the real mesh: create, edit and delete them
on the templates page, and choose one on upload (the document then carries it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from speechflow.library.v1 import library_pb2
from tests import media
from tests.web.conftest import new_email, register

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# The pipeline (speech model included) must finish well within this; a ceiling, not a
# measurement.
PIPELINE_CEILING_MS = 600_000
GRPC_WEB_FRAME_HEADER = 5  # flag byte and 4-byte length before each message


async def open_templates(page: Page) -> None:
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    await expect(page.get_by_role("heading", name="Summary templates")).to_be_visible()


async def create_template(page: Page, name: str, instructions: str) -> None:
    form = page.get_by_role("form", name="New template")
    await form.get_by_label("Name").fill(name)
    await form.get_by_label("Instructions").fill(instructions)
    await form.get_by_role("button", name="Create template").click()
    await expect(page.locator(".toast").last).to_contain_text(f"“{name}” created")


@pytest.mark.asyncio
async def test_a_template_is_created_edited_and_deleted_on_the_templates_page(
    page: Page, artifacts: Path
) -> None:
    await register(page, new_email())
    await open_templates(page)
    templates = page.get_by_role("list", name="Your templates")
    await expect(templates).to_contain_text("No templates yet")

    await create_template(page, "Sales call", "List the customer's objections.")
    item = templates.get_by_role("listitem", name="Sales call")
    await expect(item).to_contain_text("List the customer's objections.")
    await page.screenshot(path=artifacts / "20-templates.png", full_page=True)

    await item.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name="Edit “Sales call”")
    await edit.get_by_label("Name").fill("Customer call")
    await edit.get_by_label("Instructions").fill("List objections and the next step.")
    await edit.get_by_role("button", name="Save").click()
    renamed = templates.get_by_role("listitem", name="Customer call")
    await expect(renamed).to_contain_text("List objections and the next step.")
    await expect(templates.get_by_role("listitem", name="Sales call")).to_have_count(0)

    # The list is the server's: it survives a reload.
    await page.reload()
    await expect(renamed).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    await renamed.get_by_role("button", name="Delete").click()
    await expect(page.locator(".toast").last).to_contain_text("Deleted “Customer call”")
    await expect(templates).to_contain_text("No templates yet")


@pytest.mark.asyncio
async def test_a_second_template_with_the_same_name_is_refused_in_words(page: Page) -> None:
    await register(page, new_email())
    await open_templates(page)
    await create_template(page, "1:1", "Note what each person will do before the next 1:1.")

    form = page.get_by_role("form", name="New template")
    await form.get_by_label("Name").fill("1:1")
    await form.get_by_label("Instructions").fill("Something else.")
    await form.get_by_role("button", name="Create template").click()

    await expect(form.get_by_role("alert")).to_contain_text("already have a summary template")


@pytest.mark.asyncio
async def test_the_template_chosen_on_upload_is_the_documents_and_offered_on_regenerate(
    page: Page, tmp_path: Path
) -> None:
    recording = media.synthesize_speech(
        "Welcome to the lecture. Read chapter four before Monday.", tmp_path / "lecture.wav"
    )
    await register(page, new_email())
    await open_templates(page)
    await create_template(page, "Lecture notes", "List the homework and the exam dates.")

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    await page.get_by_label("Language").select_option("en")
    await page.get_by_label("Template").select_option(label="Lecture notes")
    await page.locator("#upload-picker").set_input_files(recording)
    row = page.locator(".upload-item").filter(has_text=recording.name)
    await row.get_by_role("link", name=re.compile("^Open")).click()

    regenerate_template = page.locator("select[name=summary-template]")
    await expect(regenerate_template).to_be_visible()
    await expect(regenerate_template.locator("option:checked")).to_have_text("Lecture notes")


@pytest.mark.asyncio
async def test_regenerate_asks_for_the_chosen_template_and_an_email_only_when_ticked(
    page: Page, tmp_path: Path
) -> None:
    recording = media.synthesize_speech(
        "Welcome to the sales call. I will send the offer on Friday.", tmp_path / "call.wav"
    )
    await register(page, new_email())
    await open_templates(page)
    await create_template(page, "Sales call", "List the customer's objections.")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    await page.get_by_label("Language").select_option("en")
    await page.locator("#upload-picker").set_input_files(recording)
    row = page.locator(".upload-item").filter(has_text=recording.name)
    await row.get_by_role("link", name=re.compile("^Open")).click()
    await expect(page.locator("#stage-text")).to_have_text("Done", timeout=PIPELINE_CEILING_MS)

    template = page.locator("select[name=summary-template]")
    await template.select_option(label="Sales call")
    chosen = await template.input_value()
    await page.get_by_label("Email me when it is ready").check()
    async with page.expect_request(lambda r: r.url.endswith("/RegenerateDocument")) as sent:
        await page.get_by_role("button", name="Regenerate").click()
    body = (await sent.value).post_data_buffer or b""
    asked = library_pb2.RegenerateDocumentRequest.FromString(body[GRPC_WEB_FRAME_HEADER:])

    assert asked.notify
    assert chosen
    assert asked.summary_template_id == chosen
    await expect(page.locator(".toast").last).to_contain_text("Writing a new summary")
