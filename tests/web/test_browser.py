"""The web app in headless Chromium against the real mesh: gRPC-Web through Envoy, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, expect

from services.auth.admin import promote_admin
from services.auth.settings import AuthSettings
from services.mesh.runner import Mesh
from tests import media
from tests.fixtures.mesh import MAX_UPLOAD_BYTES
from tests.web.conftest import PASSWORD, new_email, register

# The first test also waits for the mesh to start; on a busy machine that and two pipeline
# runs take longer than pytest's default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SPEECH = (
    "Welcome to the design review. We agreed to ship the new upload screen next week. "
    "Maria will write the release notes by Thursday."
)
# The pipeline (speech model included) must finish well within this; it is a ceiling, not a
# measurement.
PIPELINE_CEILING_MS = 240_000


@pytest.fixture(scope="session")
def speech_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(SPEECH, tmp_path_factory.mktemp("speech") / "design-review.wav")


async def upload(page: Page, path: Path) -> None:
    await page.get_by_label("Language").select_option("en")
    await page.locator("#upload-picker").set_input_files(path)


def upload_row(page: Page, file_name: str) -> Locator:
    return page.locator(".upload-item").filter(has_text=file_name)


async def stored_session(page: Page) -> dict[str, object]:
    """The tab's access token (the refresh token is an HttpOnly cookie scripts cannot see)."""
    raw = await page.evaluate("sessionStorage.getItem('speechflow.session')")
    return dict(json.loads(raw)) if raw else {}


async def refresh_cookie(page: Page) -> str:
    cookies = await page.context.cookies()
    return next((c["value"] for c in cookies if c["name"] == "speechflow_refresh"), "")


@pytest.mark.asyncio
async def test_user_uploads_a_recording_watches_it_complete_reads_the_pdf_and_logs_out(
    page: Page, speech_file: Path, artifacts: Path
) -> None:
    await register(page, new_email())
    await page.get_by_label("New folder").fill("Design reviews")
    await page.get_by_role("button", name="Add").click()
    await page.get_by_role("link", name=re.compile("^Design reviews")).click()
    await expect(page.get_by_role("heading", name="Design reviews")).to_be_visible()
    await upload(page, speech_file)

    row = upload_row(page, speech_file.name)
    await expect(row).to_contain_text("Uploaded, processing")
    await expect(
        page.get_by_role("progressbar", name=f"Upload of {speech_file.name}")
    ).to_have_attribute("aria-valuenow", "100")
    await page.screenshot(path=artifacts / "01-uploaded.png", full_page=True)

    await row.get_by_role("link", name=re.compile("^Open")).click()
    progress = page.get_by_role("progressbar", name="Processing progress")
    await expect(progress).to_be_visible()
    await page.screenshot(path=artifacts / "02-document-processing.png", full_page=True)
    # A finished document hides its progress bar (the bar is back during a regenerate).
    await expect(progress).to_be_hidden(timeout=PIPELINE_CEILING_MS)
    await expect(page.locator(".progress-card [role=progressbar]")).to_have_attribute(
        "aria-valuenow", "100"
    )
    await expect(page.locator("#stage-text")).to_have_text("Done")
    # WatchDocument's server stream reached the page through Envoy: the current state first,
    # then at least the final one.
    updates = await page.locator(".progress-card").get_attribute("data-stream-updates")
    assert int(updates or 0) >= 2

    await expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    await expect(page.locator(".summary")).not_to_have_text("No summary.")
    await expect(page.get_by_role("heading", name="Key points")).to_be_visible()
    await expect(page.get_by_role("heading", name="Action items")).to_be_visible()
    await expect(page.locator(".turns")).to_contain_text(re.compile("release", re.I))

    viewer = page.locator("iframe.pdf-viewer")
    await expect(viewer).to_be_attached()
    pdf_url = await viewer.get_attribute("src")
    assert pdf_url is not None
    assert "/api/v1/files" in pdf_url
    pdf = await page.request.get(pdf_url)
    assert pdf.ok
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert (await pdf.body()).startswith(b"%PDF")
    await page.screenshot(path=artifacts / "03-document-completed.png", full_page=True)

    await page.get_by_label("Title").fill("Design review notes")
    await page.get_by_role("button", name="Rename", exact=True).click()
    await expect(page.locator(".toast").last).to_contain_text("Renamed to")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Design review notes")
    seen = int(await page.locator(".progress-card").get_attribute("data-stream-updates") or 0)
    await page.get_by_label("Summary length").select_option(label="Short summary")
    await page.get_by_role("button", name="Regenerate").click()
    # The count only grows. (No wait_for_function: it evaluates a string, which the page's
    # Content-Security-Policy forbids, as it should.)
    await expect(page.locator(".progress-card")).not_to_have_attribute(
        "data-stream-updates", str(seen)
    )
    await expect(page.locator("#stage-text")).to_have_text("Done", timeout=PIPELINE_CEILING_MS)

    await page.get_by_role("link", name="← Library").click()
    listed = page.locator("tr", has_text="Design review notes")
    await expect(listed.locator(".badge")).to_have_text("Ready")
    folder = page.get_by_role("link", name=re.compile("^Design reviews"))
    await expect(folder).to_contain_text("1")
    await page.screenshot(path=artifacts / "04-library.png")

    await listed.get_by_role("link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Delete").click()
    await expect(page.get_by_text("No documents yet")).to_be_visible()

    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    assert await stored_session(page) == {}
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login$"))


@pytest.mark.asyncio
async def test_wrong_password_shows_the_servers_message_in_words(page: Page) -> None:
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login$"))
    # Keyboard only: the email field has focus, Tab reaches the password, Enter submits.
    await page.keyboard.type(new_email())
    await page.keyboard.press("Tab")
    await page.keyboard.type("not the password")
    await page.keyboard.press("Enter")

    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Email or password is incorrect.")
    # The code is kept for bug reports, never shown: people read words.
    await expect(alert).to_have_attribute("data-status", "Unauthenticated")
    await expect(alert).not_to_contain_text("Unauthenticated")
    await expect(page.get_by_label("Password")).to_be_focused()


@pytest.mark.asyncio
async def test_rejected_files_show_the_servers_reason_on_their_own_row(
    page: Page, tmp_path: Path, artifacts: Path
) -> None:
    not_media = media.write_random_bytes(tmp_path / "noise.mp3")
    too_large = tmp_path / "huge.wav"
    with too_large.open("wb") as handle:
        handle.truncate(MAX_UPLOAD_BYTES + 1)
    await register(page, new_email())

    await page.locator("#upload-picker").set_input_files([not_media, too_large])

    rejected = upload_row(page, "noise.mp3")
    await expect(rejected).to_contain_text("not a supported recording")
    await expect(rejected.locator(".upload-state")).to_have_attribute(
        "data-status", "InvalidArgument"
    )
    await expect(rejected).not_to_contain_text("InvalidArgument")
    # A refused file does not look uploaded: no full progress bar above its error.
    await expect(rejected.get_by_role("progressbar")).to_be_hidden()
    await expect(upload_row(page, "huge.wav")).to_contain_text("larger than")
    await expect(upload_row(page, "huge.wav").get_by_role("progressbar")).to_be_hidden()
    await page.screenshot(path=artifacts / "05-rejected-uploads.png")


@pytest.mark.asyncio
async def test_an_expired_access_token_is_refreshed_without_the_user_noticing(
    page: Page,
) -> None:
    await register(page, new_email())
    before = await stored_session(page)
    cookie_before = await refresh_cookie(page)

    await page.evaluate(
        """() => {
            const session = JSON.parse(sessionStorage.getItem('speechflow.session'));
            session.accessExpiresAt = 0;
            sessionStorage.setItem('speechflow.session', JSON.stringify(session));
        }"""
    )
    await page.reload()

    await expect(page.get_by_role("heading", name="All documents")).to_be_visible()
    await expect(page.get_by_text("No documents yet")).to_be_visible()
    after = await stored_session(page)
    assert cookie_before
    assert await refresh_cookie(page) not in ("", cookie_before)
    assert after["accessToken"] != before["accessToken"]


@pytest.mark.asyncio
async def test_a_rejected_access_token_is_replaced_and_the_call_repeated(page: Page) -> None:
    await register(page, new_email())
    await page.evaluate(
        """() => {
            const session = JSON.parse(sessionStorage.getItem('speechflow.session'));
            session.accessToken = 'not-a-jwt';
            sessionStorage.setItem('speechflow.session', JSON.stringify(session));
        }"""
    )
    await page.reload()

    await expect(page.get_by_text("No documents yet")).to_be_visible()
    assert (await stored_session(page))["accessToken"] != "not-a-jwt"


@pytest.mark.asyncio
async def test_admin_signs_in_from_a_deep_link_and_sees_the_jobs_page(
    context: BrowserContext, mesh: Mesh, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    page = await context.new_page()
    email = new_email()
    await register(page, email, name="Ada")
    await expect(page.get_by_role("link", name="Jobs")).to_have_count(0)
    await page.get_by_role("button", name="Log out").click()
    # Signing out ends once auth has revoked the refresh cookie; a page opened before that
    # would still find this tab's tokens.
    await expect(page).to_have_url(re.compile(r"/login$"))
    for name, value in mesh.service_environment().items():
        monkeypatch.setenv(name, value)
    await promote_admin(AuthSettings(), email)

    await page.goto("/admin/jobs")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await expect(page.get_by_role("heading", name="Processing jobs")).to_be_visible()
    await expect(page.get_by_role("link", name="Jobs")).to_be_visible()
    await expect(page.locator(".results")).not_to_be_empty()
    # The queue view: one row per pipeline stage.
    await expect(page.locator(".queue-stats tbody tr")).to_have_count(4)
    await expect(page.locator('.queue-stats tr[data-stage="TRANSCRIPTION"]')).to_be_visible()
    await page.get_by_label("Status").select_option(label="Failed")
    await expect(page.get_by_role("alert")).to_be_hidden()
    await page.screenshot(path=artifacts / "06-admin-jobs.png")


@pytest.mark.asyncio
async def test_library_fits_a_narrow_window(context: BrowserContext, artifacts: Path) -> None:
    page = await context.new_page()
    await page.set_viewport_size({"width": 360, "height": 740})
    await register(page, new_email())

    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await page.screenshot(path=artifacts / "07-library-narrow.png", full_page=True)
