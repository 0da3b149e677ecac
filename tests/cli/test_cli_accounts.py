"""Signing in and out with `speechflow`, token storage and refresh, and error exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.cli.errors import ExitCode
from services.mesh.processes import free_port
from services.mesh.runner import ROOT, Mesh
from tests.cli.conftest import PASSWORD, Cli, envoy_url


def test_register_signs_in_and_whoami_shows_the_user(cli: Cli) -> None:
    email = cli.register(name="Robin")

    result = cli("whoami", "--json")

    assert result.code == 0, result.err
    assert result.json()["user"]["email"] == email
    assert result.json()["user"]["name"] == "Robin"
    assert result.json()["user"]["role"] == "ROLE_USER"
    human = cli("whoami")
    assert email in human.out


def test_saved_session_is_readable_by_its_owner_only(signed_in: Cli) -> None:
    path = signed_in.credentials_path

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = signed_in.credentials()
    assert saved["server"] == signed_in.server
    assert saved["access_token"]
    assert saved["refresh_token"]


def test_login_after_logout_signs_in_again(cli: Cli) -> None:
    email = cli.register()
    assert cli("logout").code == 0

    result = cli("login", "--email", email, "--json")

    assert result.code == 0, result.err
    assert result.json()["user"]["email"] == email
    assert cli("whoami").code == 0


def test_password_can_come_from_stdin(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    email = cli.register()
    cli("logout")
    monkeypatch.delenv("SPEECHFLOW_PASSWORD")
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")

    with password_file.open() as stdin:
        monkeypatch.setattr("sys.stdin", stdin)
        result = cli("login", "--email", email, "--password-stdin")

    assert result.code == 0, result.err
    assert email in result.out


def test_wrong_password_exits_not_allowed_with_the_server_message(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = cli.register()
    cli("logout")
    monkeypatch.setenv("SPEECHFLOW_PASSWORD", "not the password")

    result = cli("login", "--email", email)

    assert result.code == 4
    assert "password" in result.err.lower()
    assert "Traceback" not in result.err
    assert not cli.credentials_path.exists()


def test_commands_without_a_session_exit_unauthenticated_with_a_login_hint(cli: Cli) -> None:
    for command in (["whoami"], ["ls"], ["folders", "ls"], ["show", "some-id"]):
        result = cli(*command)

        assert result.code == ExitCode.NOT_ALLOWED, command
        assert "not signed in" in result.err
        assert "speechflow login" in result.err


def test_errors_in_json_mode_are_json_on_stderr(cli: Cli) -> None:
    result = cli("whoami", "--json")

    assert result.code == ExitCode.NOT_ALLOWED
    assert result.out == ""
    error = json.loads(result.err)["error"]
    assert error["code"] == "UNAUTHENTICATED"
    assert error["exit_code"] == 4
    assert "speechflow login" in error["hint"]


def test_expired_access_token_is_refreshed_before_the_call_and_rotated(signed_in: Cli) -> None:
    before = signed_in.credentials()
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    signed_in.rewrite_credentials(access_token_expires_at=an_hour_ago)

    result = signed_in("whoami")

    assert result.code == 0, result.err
    after = signed_in.credentials()
    assert after["refresh_token"] != before["refresh_token"]
    assert datetime.fromisoformat(after["access_token_expires_at"]) > datetime.now(UTC)
    assert stat.S_IMODE(signed_in.credentials_path.stat().st_mode) == 0o600


def test_rejected_access_token_is_refreshed_once_and_the_call_retried(signed_in: Cli) -> None:
    before = signed_in.credentials()
    signed_in.rewrite_credentials(access_token="not-a-token")

    result = signed_in("folders", "ls", "--json")

    assert result.code == 0, result.err
    assert result.json() == {"folders": []}
    after = signed_in.credentials()
    assert after["access_token"] != "not-a-token"
    assert after["refresh_token"] != before["refresh_token"]


def test_logout_deletes_the_file_and_ends_the_session_on_the_server(signed_in: Cli) -> None:
    saved = signed_in.credentials_path.read_text()

    result = signed_in("logout")

    assert result.code == 0, result.err
    assert not signed_in.credentials_path.exists()
    # Someone who copied the file before logout cannot use it: the refresh token is revoked.
    signed_in.credentials_path.write_text(saved)
    signed_in.rewrite_credentials(access_token="stale")
    stolen = signed_in("whoami")
    assert stolen.code == ExitCode.NOT_ALLOWED
    assert "speechflow login" in stolen.err


def test_jobs_as_a_regular_user_exits_permission_denied(signed_in: Cli) -> None:
    result = signed_in("jobs", "ls")

    assert result.code == ExitCode.NOT_ALLOWED
    assert "admin" in result.err.lower()
    assert "Traceback" not in result.err


def test_jobs_ls_works_for_an_admin(cli: Cli, mesh: Mesh) -> None:
    email = cli.register()
    promoted = subprocess.run(
        [sys.executable, "-m", "services.auth", "promote-admin", email],
        env={**os.environ, **mesh.service_environment()},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert promoted.returncode == 0, promoted.stderr
    assert cli("login", "--email", email).code == 0  # admin role comes with new tokens

    result = cli("jobs", "ls", "--status", "failed", "--json")

    assert result.code == 0, result.err
    assert isinstance(result.json()["jobs"], list)


def test_unreachable_server_exits_unavailable_with_a_make_up_hint(cli: Cli) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"

    result = cli("--server", nowhere, "login", "--email", "a@example.com")

    assert result.code == 5
    assert nowhere in result.err
    assert "make up" in result.err


def test_session_for_another_server_is_not_used(signed_in: Cli) -> None:
    other = f"http://127.0.0.1:{free_port()}"

    result = signed_in("--server", other, "whoami")

    assert result.code == ExitCode.NOT_ALLOWED
    assert f"signed in to {signed_in.server}" in result.err


def test_installed_module_runs_as_a_program(signed_in: Cli, mesh: Mesh) -> None:
    environment = {
        **os.environ,
        "XDG_CONFIG_HOME": str(signed_in.config_home),
        "SPEECHFLOW_SERVER": envoy_url(mesh),
    }

    def speechflow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            env=environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    created = speechflow("folders", "create", "From a subprocess", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["name"] == "From a subprocess"
    missing = speechflow("show", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == ExitCode.NOT_FOUND
    assert "Traceback" not in missing.stderr
    usage = speechflow("upload")
    assert usage.returncode == ExitCode.USAGE
    assert "usage:" in usage.stderr
