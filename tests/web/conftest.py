"""Headless Debian Chromium, driven by Playwright, against the web app served by the real mesh."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from services.mesh.runner import ROOT, Mesh
from services.mesh.web import build_web_app

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium quiet and offline in a container (ENVIRONMENT.md).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "web"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """web/dist, built once per session (a no-op when it is up to date)."""
    if not build_web_app(ROOT, tmp_path_factory.mktemp("web-build") / "build.log"):
        pytest.fail("npm is not installed: the web app cannot be built (install nodejs/npm)")
    return ROOT / "web" / "dist"


@pytest.fixture(scope="session")
def app_url(mesh: Mesh, web_app: Path) -> str:
    """The mesh's origin; `localhost` because signed download URLs use that host too."""
    assert mesh.web is not None
    if mesh.web.directory != web_app:
        pytest.fail(
            f"the mesh serves {mesh.web.directory}, not the built app: it started with "
            "WEB_BUILD=0 or before web/dist existed"
        )
    return f"http://localhost:{mesh.settings.envoy_port}"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, app_url: str) -> AsyncIterator[BrowserContext]:
    """A fresh profile per test (its own cookies and storage, so its own session)."""
    created = await browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 900})
    created.set_default_timeout(15_000)
    yield created
    await created.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots for people to look at; cleared at the start of each session."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def new_email() -> str:
    return f"web-{uuid.uuid4().hex[:8]}@example.com"


async def register(page: Page, email: str, name: str = "Wendy") -> None:
    """Creates an account through the UI; ends on the library page."""
    await page.goto("/register")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("heading", name="All documents").wait_for()
