"""Security headers the edge puts on the web app, the API reference and API answers."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser

from services.mesh.runner import Mesh

pytestmark = pytest.mark.slow

APP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
)


def directives(policy: str) -> set[str]:
    return {part.strip() for part in policy.split(";") if part.strip()}


@pytest.fixture
async def http(mesh: Mesh) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{mesh.settings.envoy_port}")


@pytest.mark.parametrize("path", ["/", "/documents/some-id", "/login"])
async def test_web_app_pages_carry_a_strict_policy_and_cannot_be_framed(
    http: httpx.AsyncClient, web_app: object, path: str
) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert set(APP_DIRECTIVES) <= directives(response.headers["content-security-policy"])
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_api_answers_are_not_sniffed_and_framed_only_by_the_app(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    # The app shows a document's PDF (/api/v1/files) in an iframe of its own origin.
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in directives(response.headers["content-security-policy"])


async def test_api_reference_runs_no_inline_script(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/docs/")
    policy = directives(response.headers["content-security-policy"])
    assert {"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} <= policy
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text


async def test_the_built_app_and_the_api_reference_break_no_rule_of_their_policy(
    browser: Browser, mesh: Mesh, web_app: object
) -> None:
    origin = f"http://localhost:{mesh.settings.envoy_port}"
    context = await browser.new_context()
    violations: list[str] = []
    try:
        page = await context.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        await page.goto(f"{origin}/register")
        await page.get_by_role("button", name="Create account").wait_for()
        await page.goto(f"{origin}/api/docs/")
        await page.wait_for_selector(".opblock", timeout=30_000)
    finally:
        await context.close()
    assert violations == []
