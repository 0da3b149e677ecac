"""The variables in compose.yaml are real settings, with the same defaults, and every
setting is documented in .env.example."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_settings import BaseSettings

from tests.ops.compose_file import COMPOSE_FILE, env_example, raw_compose, variable_references
from tests.ops.settings_catalog import (
    SETTINGS_OF_SERVICE,
    env_names,
    every_env_name,
)

SIX_SERVICES = ("auth", "library", "transcriber", "summarizer", "renderer", "notifier")

# Interpolated only by compose, for the infrastructure images (not read by SpeechFlow).
COMPOSE_ONLY_VARIABLES = frozenset({"POSTGRES_PASSWORD"})

# Settings a service has that compose deliberately leaves at their defaults.
NOT_IN_COMPOSE: dict[str, str] = {
    "STORAGE_DIR": "local storage only; compose uses S3",
    "DATABASE_URL": "compose sets AUTH_DATABASE_URL and LIBRARY_DATABASE_URL instead",
    "GROQ_BASE_URL": "a test hook; an empty value would not mean 'unset'",
    "RESEND_API_URL": "a test hook; an empty value would not mean 'unset'",
}

# Compose defaults that differ from the settings' defaults on purpose.
DIFFERENT_DEFAULTS: dict[str, str] = {
    "CORS_ALLOWED_ORIGINS": "the built app is same-origin; the default allows the dev server",
    "S3_PUBLIC_ENDPOINT": "compose publishes MinIO on localhost:9000 for signed downloads",
}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment: dict[str, str] = service.get("environment", {})
    return environment


def _allowed(service_name: str) -> dict[str, type[BaseSettings]]:
    allowed: dict[str, type[BaseSettings]] = {}
    for settings in SETTINGS_OF_SERVICE[service_name]:
        for name in env_names(settings):
            allowed.setdefault(name, settings)
    return allowed


def _speechflow_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = raw_compose()["services"]
    return {name: s for name, s in services.items() if name in SETTINGS_OF_SERVICE}


def test_every_service_of_the_speechflow_image_has_a_settings_mapping() -> None:
    services: dict[str, dict[str, Any]] = raw_compose()["services"]
    built = {name for name, s in services.items() if s.get("image") == "speechflow:local"}
    assert built == set(SETTINGS_OF_SERVICE)


@pytest.mark.parametrize("name", sorted(SETTINGS_OF_SERVICE))
def test_every_compose_variable_is_a_real_setting_of_that_service(name: str) -> None:
    service = _speechflow_services()[name]
    unknown = set(_environment(service)) - set(_allowed(name))
    assert not unknown, f"{name} sets variables no settings class reads: {sorted(unknown)}"


@pytest.mark.parametrize("name", SIX_SERVICES)
def test_every_setting_of_a_service_is_set_in_compose(name: str) -> None:
    service = _speechflow_services()[name]
    missing = set(_allowed(name)) - set(_environment(service)) - set(NOT_IN_COMPOSE)
    assert not missing, f"{name} leaves settings out of compose: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(SETTINGS_OF_SERVICE))
def test_compose_defaults_match_the_settings_defaults(name: str) -> None:
    allowed = _allowed(name)
    for variable, value in _environment(_speechflow_services()[name]).items():
        default = variable_references(str(value)).get(variable)
        if default is None or variable in DIFFERENT_DEFAULTS:
            continue
        settings = allowed[variable]
        field = env_names(settings)[variable]
        parsed = settings.model_validate({variable: default})
        expected = settings.model_fields[field].get_default(call_default_factory=True)
        assert getattr(parsed, field) == expected, f"{name}: {variable}={default!r}"


def test_every_interpolated_variable_is_a_setting_or_a_known_compose_variable() -> None:
    references = variable_references(COMPOSE_FILE.read_text(encoding="utf-8"))
    unknown = set(references) - every_env_name() - COMPOSE_ONLY_VARIABLES
    assert not unknown, sorted(unknown)


def test_every_setting_and_compose_variable_is_documented_in_env_example() -> None:
    documented = set(env_example())
    missing = (every_env_name() | COMPOSE_ONLY_VARIABLES) - documented
    assert not missing, f"add to .env.example: {sorted(missing)}"
