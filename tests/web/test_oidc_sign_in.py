"""Single sign-on in headless Chromium: the "Sign in with …" button, the real provider's login
page (npm oidc-provider), and back into the library, signed in with the HttpOnly refresh
cookie as a password sign-in is. Its own mesh, configured for the provider and with password
sign-in turned off (the shared mesh has no single sign-on, so its sign-in page keeps a single
"Sign in" button, and passwords)."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from services.mesh.runner import Mesh
from tests.fixtures.mesh import mesh_settings, running_mesh
from tests.fixtures.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    DISPLAY_NAME,
    OidcProvider,
    ProviderAccount,
)

ALAN = ProviderAccount("alan", f"alan-{uuid.uuid4().hex[:6]}@example.com", name="Alan Turing")


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # Not under pytest's basetemp, for the reason tests/fixtures/infra.py gives for PostgreSQL.
    path = Path(tempfile.mkdtemp(prefix="speechflow-test-oidc-mesh-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
async def oidc_app_url(data_dir: Path, web_app: Path) -> AsyncIterator[str]:
    settings = mesh_settings(data_dir / "mesh")
    app_url = f"http://localhost:{settings.envoy_port}"
    callback = f"{app_url}/oidc/callback"
    with OidcProvider(data_dir / "oidc", [callback], [ALAN]) as provider:
        environment = {
            "OIDC_ISSUER": provider.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_DISPLAY_NAME": DISPLAY_NAME,
            "OIDC_REDIRECT_URIS": callback,
            "PASSWORD_SIGN_IN_ENABLED": "false",
        }
        mesh: Mesh
        async for mesh in running_mesh(settings, environment):
            assert mesh.web is not None
            assert mesh.web.directory == web_app, "the mesh does not serve the built app"
            yield app_url


@pytest.fixture
async def oidc_context(browser: Browser, oidc_app_url: str) -> AsyncIterator[BrowserContext]:
    created = await browser.new_context(base_url=oidc_app_url)
    created.set_default_timeout(15_000)
    yield created
    await created.close()


@pytest.mark.asyncio
async def test_the_provider_button_signs_in_through_its_login_page(
    oidc_context: BrowserContext, artifacts: Path
) -> None:
    page = await oidc_context.new_page()
    await page.goto("/login")
    button = page.get_by_role("button", name=f"Sign in with {DISPLAY_NAME}")
    await expect(button).to_be_visible()
    await expect(page.get_by_label("Password")).to_be_hidden()
    await expect(page.get_by_role("link", name="Create an account")).to_be_hidden()
    await page.screenshot(path=artifacts / "20-sign-in-with-provider.png", full_page=True)
    await button.click()

    await expect(page.get_by_role("heading", name="Test IdP sign-in")).to_be_visible()
    await page.get_by_label("Username").fill(ALAN.login)
    await page.get_by_role("button", name="Continue").click()

    await expect(page.get_by_role("heading", name="All documents")).to_be_visible()
    await expect(page.get_by_role("link", name=ALAN.name)).to_be_visible()
    assert "code=" not in page.url
    cookies = {cookie["name"]: cookie for cookie in await oidc_context.cookies()}
    refresh = cookies["speechflow_refresh"]
    assert refresh["httpOnly"]
    assert refresh["value"]

    # A new tab has no access token: the refresh cookie signs it in, as after a Login.
    second = await oidc_context.new_page()
    await second.goto("/")
    await expect(second.get_by_role("heading", name="All documents")).to_be_visible()
    await expect(second).not_to_have_url(re.compile(r"/login"))


@pytest.mark.asyncio
async def test_a_callback_this_tab_did_not_start_is_refused(
    oidc_context: BrowserContext,
) -> None:
    page = await oidc_context.new_page()
    await page.goto("/oidc/callback?code=someone-elses-code&state=someone-elses-state")
    await expect(page.get_by_role("alert")).to_contain_text("not started in this browser tab")
    assert "code=" not in page.url


async def test_the_sign_in_options_and_the_refusal_of_passwords_over_rest(
    oidc_app_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=oidc_app_url, timeout=10) as client:
        options = (await client.get("/api/v1/auth/signInOptions")).json()
        assert options == {
            "password_enabled": False,
            "oidc_enabled": True,
            "oidc_display_name": DISPLAY_NAME,
        }
        refused = await client.post(
            "/api/v1/auth/login", json={"email": ALAN.email, "password": "whatever it is"}
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == 9  # FAILED_PRECONDITION
        assert f"sign in with {DISPLAY_NAME}" in refused.json()["message"]
        started = await client.post(
            "/api/v1/auth/oidc:start", json={"redirect_uri": f"{oidc_app_url}/oidc/callback"}
        )
        assert started.json()["authorization_url"].startswith("http://127.0.0.1:")
