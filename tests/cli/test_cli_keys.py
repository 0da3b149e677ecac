"""`speechflow keys`: create (secret shown once), list with last use, revoke."""

from __future__ import annotations

import httpx
import pytest

from services.cli.errors import ExitCode
from services.cli.session import API_KEY_ENVIRONMENT_VARIABLE
from tests.cli.conftest import Cli


def test_a_created_key_is_listed_used_and_revoked(signed_in: Cli) -> None:
    created = signed_in("keys", "create", "nightly backup", "--json")
    assert created.code == 0, created.err
    secret = created.json()["secret"]
    key_id = created.json()["api_key"]["id"]
    assert secret.startswith("sf_")

    listed = signed_in("keys", "list")
    assert listed.code == 0, listed.err
    assert "nightly backup" in listed.out
    assert "never" in listed.out
    assert secret not in listed.out

    used = httpx.get(
        f"{signed_in.server}/api/v1/auth/me", headers={"authorization": f"Bearer {secret}"}
    )
    assert used.status_code == 200, used.text
    [key] = signed_in("keys", "list", "--json").json()["api_keys"]
    assert key["last_use_time"]

    revoked = signed_in("keys", "revoke", key_id)
    assert revoked.code == 0, revoked.err
    assert signed_in("keys", "list", "--json").json() == {"api_keys": []}
    refused = httpx.get(
        f"{signed_in.server}/api/v1/auth/me", headers={"authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401


def test_create_shows_the_secret_once_in_plain_output(signed_in: Cli) -> None:
    created = signed_in("keys", "create", "ci")
    assert created.code == 0, created.err
    assert "sf_" in created.out
    assert "only this once" in created.out


def test_revoking_an_unknown_key_is_not_found(signed_in: Cli) -> None:
    result = signed_in("keys", "revoke", "no-such-key")
    assert result.code == ExitCode.NOT_FOUND
    assert "keys list" in result.err


def test_keys_need_a_sign_in(cli: Cli) -> None:
    assert cli("keys", "list").code == ExitCode.NOT_ALLOWED


def test_a_script_runs_the_cli_with_an_api_key_instead_of_a_sign_in(
    signed_in: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert signed_in("folders", "create", "From CI").code == 0
    secret = signed_in("keys", "create", "ci", "--json").json()["secret"]
    signed_in.credentials_path.unlink()  # no sign-in left: only the key
    monkeypatch.setenv(API_KEY_ENVIRONMENT_VARIABLE, secret)
    listed = signed_in("folders", "ls", "--json")
    assert listed.code == 0, listed.err
    assert [f["name"] for f in listed.json()["folders"]] == ["From CI"]
    monkeypatch.setenv(API_KEY_ENVIRONMENT_VARIABLE, "sf_revoked-or-wrong")
    assert signed_in("folders", "ls").code == ExitCode.NOT_ALLOWED
