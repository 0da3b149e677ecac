"""The REST reference at /api/docs renders every route of the OpenAPI document."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.async_api import Browser

from services.mesh.runner import Mesh

pytestmark = pytest.mark.slow


async def test_api_reference_renders_every_route(browser: Browser, mesh: Mesh) -> None:
    origin = f"http://127.0.0.1:{mesh.settings.envoy_port}"
    async with httpx.AsyncClient() as http:
        spec = (await http.get(f"{origin}/api/v1/openapi.json")).json()
    expected = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
    }
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{origin}/api/docs/")
        await page.wait_for_selector(".opblock", timeout=30_000)
        rendered = await page.eval_on_selector_all(
            ".opblock",
            """blocks => blocks.map(b => [
                b.querySelector('.opblock-summary-method').textContent.trim(),
                b.querySelector('.opblock-summary-path').getAttribute('data-path'),
            ])""",
        )
    finally:
        await context.close()
    shown = {(method, path) for method, path in rendered}
    assert expected <= shown, json.dumps(sorted(expected - shown))
