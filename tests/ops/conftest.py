"""Fixtures shared by the Kubernetes manifest and pod tests: each overlay rendered once per
module, and one run of the Secrets script."""

from __future__ import annotations

import pytest

from tests.ops.kubernetes_manifests import OVERLAYS, Object, generate_secrets, render


@pytest.fixture(scope="module")
def overlays() -> dict[str, list[Object]]:
    return {overlay: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest, overlays: dict[str, list[Object]]) -> list[Object]:
    rendered: list[Object] = overlays[request.param]
    return rendered


@pytest.fixture(scope="module")
def generated_secrets() -> list[Object]:
    return generate_secrets()
