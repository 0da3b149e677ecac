"""The document page in headless Chromium against the real mesh: the player seeks to what is
clicked, edits and renames reach the exports and the PDF, search opens the moment a snippet
was said, opening a document downloads nothing, and a phone gets a one-row header."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect
from playwright.async_api import Error as PlaywrightError

from services.kernel.transcripts import duration, serialize_transcript
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests import media
from tests.web.conftest import PASSWORD, new_email, register

# The module's first test also waits for the mesh to start and the recording to be processed.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# Three voices, so the page has turns to tell apart; only the third says "release".
DIALOGUE = [
    ("en-us", "Good morning everyone. Let us look at the launch budget."),
    ("en-gb+f3", "I will send the revised budget by Friday."),
    ("en+m7", "Thanks. The release notes are ready."),
]
NEW_NAME = "Priya Raman"
# A ceiling for a busy machine (the local LLM summarizer included), not a measurement.
PIPELINE_CEILING_MS = 600_000
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
# Seeking lands on the requested time up to the media's frame/sample granularity.
SEEK_TOLERANCE_SECONDS = 0.05


@dataclass(frozen=True)
class Meeting:
    email: str
    document_id: str
    turn_starts: list[float]
    word_starts: list[list[float]]


def stored_transcript(
    spans: list[tuple[float, float]],
) -> tuple[library_pb2.Transcript, list[list[float]]]:
    """One segment per spoken turn at its real time, words spread evenly over it; also each
    turn's word start times."""
    segments = []
    word_starts: list[list[float]] = []
    for index, ((_voice, text), (start, end)) in enumerate(zip(DIALOGUE, spans, strict=True)):
        words = text.split()
        step = (end - start) / len(words)
        starts = [start + step * position for position in range(len(words))]
        word_starts.append(starts)
        segments.append(
            library_pb2.TranscriptSegment(
                start_offset=duration(start),
                end_offset=duration(end),
                text=text,
                speaker_id=f"S{index + 1}",
                words=[
                    library_pb2.TranscriptWord(
                        start_offset=duration(at),
                        end_offset=duration(at + step),
                        text=f" {word}",
                        probability=0.9,
                    )
                    for word, at in zip(words, starts, strict=True)
                ],
            )
        )
    transcript = library_pb2.Transcript(
        segments=segments,
        speakers=[
            library_pb2.Speaker(id="S1", display_name="Speaker 1"),
            library_pb2.Speaker(id="S2", display_name="Speaker 2"),
            library_pb2.Speaker(id="S3", display_name="Speaker 3"),
        ],
        language="en",
        model="test",
        revision=1,
        duration=duration(spans[-1][1]),
    )
    return transcript, word_starts


@pytest.fixture(scope="module")
async def meeting(
    browser: Browser, app_url: str, mesh: Mesh, tmp_path_factory: pytest.TempPathFactory
) -> Meeting:
    """A finished three-voice recording whose stored transcript is a known one (who spoke is
    the diarizer's business, tested in tests/pipeline)."""
    wav = tmp_path_factory.mktemp("dialogue") / "launch-meeting.wav"
    spans = media.synthesize_dialogue(DIALOGUE, wav)
    context = await browser.new_context(base_url=app_url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    email = new_email()
    await register(page, email)
    await page.get_by_label("Language").select_option("en")
    await page.locator("#upload-picker").set_input_files(wav)
    row = page.locator(".upload-item").filter(has_text=wav.name)
    await row.get_by_role("link", name=re.compile("^Open")).click()
    await expect(page.locator("#stage-text")).to_have_text("Done", timeout=PIPELINE_CEILING_MS)
    document_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    await context.close()

    transcript, word_starts = stored_transcript(spans)
    [stored] = (mesh.data_dir / "objects").rglob(f"{document_id}/transcript.json")
    stored.write_bytes(serialize_transcript(transcript))
    return Meeting(
        email=email,
        document_id=document_id,
        turn_starts=[start for start, _end in spans],
        word_starts=word_starts,
    )


@pytest.fixture
async def desktop(browser: Browser, app_url: str) -> AsyncIterator[BrowserContext]:
    created = await browser.new_context(base_url=app_url, viewport=DESKTOP)
    created.set_default_timeout(15_000)
    yield created
    await created.close()


async def sign_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="All documents").wait_for()


async def open_document(page: Page, meeting: Meeting, query: str = "") -> None:
    await page.goto(f"/documents/{meeting.document_id}{query}")
    await expect(page.locator(".turn")).to_have_count(len(DIALOGUE))


async def media_time_settles_at(page: Page, expected: float) -> float:
    """The media element's currentTime once its metadata has loaded and the seek applied."""
    # The page renders the player after it has fetched the document: wait for it to exist.
    await page.locator(".media").wait_for(state="attached")
    current = -1.0
    for _ in range(150):
        ready, current = await page.evaluate(
            "() => { const m = document.querySelector('.media');"
            " return [m.readyState, m.currentTime]; }"
        )
        if ready >= 1 and abs(current - expected) <= SEEK_TOLERANCE_SECONDS:
            return float(current)
        await asyncio.sleep(0.1)
    return float(current)


async def watch_seeks(page: Page) -> None:
    """Records the media's currentTime at every `seeked` event: a click also starts playback,
    so by the time a poll looks the time has moved on."""
    await page.locator(".media").wait_for(state="attached")
    await page.evaluate(
        "() => { const m = document.querySelector('.media'); window.seeks = [];"
        " m.addEventListener('seeked', () => window.seeks.push(m.currentTime)); }"
    )


async def next_seek(page: Page, seen: int) -> float:
    """The time of the first seek after the `seen` ones recorded so far."""
    for _ in range(150):
        seeks = await page.evaluate("window.seeks")
        if len(seeks) > seen:
            return float(seeks[seen])
        await asyncio.sleep(0.1)
    raise AssertionError(f"the media never seeked (seeks so far: {seen})")


async def export(page: Page, label: str) -> tuple[str, bytes]:
    """Picks `label` in the Export menu; returns the saved file's name and bytes.

    The page re-renders its header when the document's state changes (an edit starts a new
    version), which can close the menu under the click: then it is opened again."""
    for attempt in range(3):
        try:
            await page.get_by_text("Export", exact=True).click()
            async with page.expect_download(timeout=30_000) as info:
                await page.get_by_role("button", name=label).click(timeout=5_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
    download = await info.value
    saved = await download.path()
    return download.suggested_filename, Path(saved).read_bytes()


async def pdf_text(page: Page) -> str:
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download PDF").click()
    download = await info.value
    reader = pypdf.PdfReader(io.BytesIO(Path(await download.path()).read_bytes()))
    return "\n".join(page_.extract_text() or "" for page_ in reader.pages)


@pytest.mark.asyncio
async def test_clicking_a_turn_or_a_word_seeks_the_recording_there_and_highlights_it(
    desktop: BrowserContext, meeting: Meeting, artifacts: Path
) -> None:
    page = await desktop.new_page()
    await sign_in(page, meeting.email)
    await open_document(page, meeting)
    turns = page.locator(".turn")
    await expect(turns.nth(1).locator(".turn-speaker")).to_have_text("Speaker 2")
    await expect(turns.nth(0).locator(".turn-time")).to_have_text("[00:00]")

    await watch_seeks(page)

    await turns.nth(1).locator(".turn-time").click()

    assert await next_seek(page, 0) == pytest.approx(
        meeting.turn_starts[1], abs=SEEK_TOLERANCE_SECONDS
    )
    await expect(turns.nth(1)).to_have_class(re.compile(r"\bplaying\b"))
    await expect(turns.nth(0)).not_to_have_class(re.compile(r"\bplaying\b"))

    await turns.nth(2).locator(".word").nth(3).click()

    assert await next_seek(page, 1) == pytest.approx(
        meeting.word_starts[2][3], abs=SEEK_TOLERANCE_SECONDS
    )
    await expect(turns.nth(2)).to_have_class(re.compile(r"\bplaying\b"))
    await page.evaluate("document.querySelector('.media').pause()")

    await page.get_by_label("Find in transcript").fill("budget")
    await expect(page.locator(".find-count")).to_have_text("1 of 2")
    await page.get_by_role("button", name="Next match").click()
    await expect(page.locator(".find-count")).to_have_text("2 of 2")
    await page.screenshot(path=artifacts / "10-document-desktop.png")


@pytest.mark.asyncio
async def test_opening_a_document_downloads_nothing_and_shows_the_pdf_inline(
    desktop: BrowserContext, meeting: Meeting
) -> None:
    page = await desktop.new_page()
    downloads: list[str] = []
    page.on("download", lambda download: downloads.append(download.suggested_filename))
    await sign_in(page, meeting.email)

    await open_document(page, meeting)
    viewer = page.locator("iframe.pdf-viewer")
    await expect(viewer).to_be_attached()
    await page.wait_for_load_state("networkidle")

    assert downloads == []
    pdf_url = await viewer.get_attribute("src")
    assert pdf_url is not None
    shown = await page.request.get(pdf_url)
    assert shown.ok
    assert shown.headers["content-type"].startswith("application/pdf")
    assert shown.headers.get("content-disposition", "inline").startswith("inline")

    assert "%PDF" not in await page.content()
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download PDF").click()
    assert (await info.value).suggested_filename.endswith(".pdf")


@pytest.mark.asyncio
async def test_an_edited_segment_is_in_the_txt_export(
    desktop: BrowserContext, meeting: Meeting
) -> None:
    page = await desktop.new_page()
    await sign_in(page, meeting.email)
    await open_document(page, meeting)
    first = page.locator(".turn").first

    await first.get_by_role("button", name=re.compile("^Edit")).click()
    await first.locator("textarea").fill(
        "Good morning everyone. Let us look at the marketing budget."
    )
    await first.get_by_role("button", name="Save").click()

    await expect(page.locator(".toast").last).to_contain_text("Saved.")
    await expect(page.locator(".turn").first).to_contain_text("marketing budget")
    name, body = await export(page, "Text (.txt)")
    assert name.endswith(".txt")
    assert "marketing budget" in body.decode()
    assert "launch budget" not in body.decode()


@pytest.mark.asyncio
async def test_a_renamed_speaker_is_in_the_srt_export_and_the_rebuilt_pdf(
    desktop: BrowserContext, meeting: Meeting
) -> None:
    page = await desktop.new_page()
    await sign_in(page, meeting.email)
    await open_document(page, meeting)

    # Suggested names come from the summarizer's reading of the real conversation, so this
    # renames by typing (the "Use …" button fills the same request).
    speaker = page.locator('.speakers li[data-speaker-id="S2"]')
    await speaker.get_by_role("textbox").fill(NEW_NAME)
    await speaker.get_by_role("button", name="Rename Speaker 2").click()

    await expect(page.locator(".toast").last).to_contain_text(f"to {NEW_NAME}")
    await expect(page.locator(".turn").nth(1).locator(".turn-speaker")).to_have_text(NEW_NAME)
    name, body = await export(page, "Subtitles (.srt)")
    assert name.endswith(".srt")
    assert NEW_NAME in body.decode()
    # The PDF is rendered again from the edited transcript, not transcribed again.
    await expect(page.locator("#stage-text")).to_have_text("Done", timeout=PIPELINE_CEILING_MS)
    text = ""
    for _ in range(60):
        text = await pdf_text(page)
        if NEW_NAME in text:
            break
        await asyncio.sleep(1)
    assert NEW_NAME in text


@pytest.mark.asyncio
async def test_an_edit_on_a_stale_revision_says_someone_else_saved_first_and_shows_theirs(
    desktop: BrowserContext, meeting: Meeting
) -> None:
    mine = await desktop.new_page()
    await sign_in(mine, meeting.email)
    await open_document(mine, meeting)
    theirs = await desktop.new_page()
    await open_document(theirs, meeting)
    speaker = theirs.locator('.speakers li[data-speaker-id="S3"]')
    await speaker.get_by_role("textbox").fill("Ada")
    await speaker.get_by_role("button", name=re.compile("^Rename")).click()
    await expect(theirs.locator(".toast").last).to_contain_text("to Ada")

    last = mine.locator(".turn").last
    await last.get_by_role("button", name=re.compile("^Edit")).click()
    await last.locator("textarea").fill("Thanks. The release notes are almost ready.")
    await last.get_by_role("button", name="Save").click()

    await expect(mine.locator(".toast").last).to_contain_text("Someone else saved first")
    await expect(mine.locator(".turn").last.locator(".turn-speaker")).to_have_text("Ada")
    await expect(mine.locator(".turn").last).not_to_contain_text("almost ready")


@pytest.mark.asyncio
async def test_a_search_snippet_opens_the_document_at_the_moment_it_was_said(
    desktop: BrowserContext, meeting: Meeting, artifacts: Path
) -> None:
    page = await desktop.new_page()
    await sign_in(page, meeting.email)

    await page.get_by_label("Search").fill("release")
    await page.get_by_role("button", name="Search").click()
    result = page.locator(".search-result").filter(
        has=page.locator(f'[href^="/documents/{meeting.document_id}"]')
    )
    await expect(result.locator("mark").first).to_have_text(re.compile("release", re.I))
    snippet = result.locator(".snippet-link").first
    href = await snippet.get_attribute("href")
    assert href is not None
    match = re.search(r"\?t=(\d+)$", href)
    assert match is not None, href
    moment = float(match.group(1))
    await page.screenshot(path=artifacts / "11-search-desktop.png")

    await snippet.click()

    await expect(page).to_have_url(
        re.compile(rf"/documents/{meeting.document_id}\?t={int(moment)}$")
    )
    assert await media_time_settles_at(page, moment) == pytest.approx(
        moment, abs=SEEK_TOLERANCE_SECONDS
    )
    await expect(page.locator(".turn.playing")).to_have_count(1)


async def wider_than_the_window(page: Page) -> list[str]:
    """The elements that stick out to the right (which makes the page scroll sideways)."""
    found: list[str] = await page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
        }"""
    )
    return found


@pytest.mark.asyncio
async def test_on_a_phone_the_header_is_one_row_and_the_list_comes_first(
    browser: Browser, app_url: str, meeting: Meeting, artifacts: Path
) -> None:
    context = await browser.new_context(base_url=app_url, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    try:
        page = await context.new_page()
        await sign_in(page, meeting.email)
        await expect(page.locator("table.documents tbody tr")).to_have_count(1)

        tops = await page.locator(".topbar > *").evaluate_all(
            "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
        )
        header = await page.locator(".topbar").bounding_box()
        results = await page.locator(".results").bounding_box()
        upload = await page.locator(".upload-panel").bounding_box()
        assert header is not None
        assert results is not None
        assert upload is not None
        assert max(tops) - min(tops) <= 8, tops
        assert header["height"] < 64
        assert results["y"] < upload["y"]
        assert results["y"] < PHONE["height"]
        assert await wider_than_the_window(page) == []
        await page.screenshot(path=artifacts / "12-library-phone.png")

        await open_document(page, meeting)
        assert await wider_than_the_window(page) == []
        await page.screenshot(path=artifacts / "13-document-phone.png")
    finally:
        await context.close()
