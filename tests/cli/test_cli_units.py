"""Pieces of the CLI that need no server: exit codes, addresses, the credentials file."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from services.cli.__main__ import main
from services.cli.credentials import Credentials, CredentialStore, config_directory
from services.cli.errors import EXIT_CODES, CliError, ExitCode
from services.cli.server import ServerAddress
from services.cli.transfer import download_target, safe_file_name


def test_every_grpc_status_has_an_exit_code_and_only_ok_is_zero() -> None:
    assert set(EXIT_CODES) == set(grpc.StatusCode)
    assert [s for s, code in EXIT_CODES.items() if code == 0] == [grpc.StatusCode.OK]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 2),
        (grpc.StatusCode.NOT_FOUND, 3),
        (grpc.StatusCode.UNAUTHENTICATED, 4),
        (grpc.StatusCode.PERMISSION_DENIED, 4),
        (grpc.StatusCode.UNAVAILABLE, 5),
        (grpc.StatusCode.ALREADY_EXISTS, 6),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 7),
        (grpc.StatusCode.FAILED_PRECONDITION, 8),
        (grpc.StatusCode.INTERNAL, 1),
    ],
)
def test_documented_exit_codes_stay_stable(status: grpc.StatusCode, code: int) -> None:
    assert EXIT_CODES[status] == code


@pytest.mark.parametrize(
    ("text", "url", "target", "secure"),
    [
        ("http://localhost:8080", "http://localhost:8080", "localhost:8080", False),
        ("localhost:9000/", "http://localhost:9000", "localhost:9000", False),
        ("https://speechflow.example.com", "https://speechflow.example.com:443",
         "speechflow.example.com:443", True),
        ("http://[::1]:8080", "http://[::1]:8080", "[::1]:8080", False),
    ],
)  # fmt: skip
def test_server_addresses_are_normalized(text: str, url: str, target: str, secure: bool) -> None:
    assert ServerAddress.parse(text) == ServerAddress(url, target, secure)


@pytest.mark.parametrize("text", ["ftp://host:21", "http://host:8080/api", "http://:80"])
def test_bad_server_addresses_are_usage_errors(text: str) -> None:
    with pytest.raises(CliError) as raised:
        ServerAddress.parse(text)
    assert raised.value.exit_code == ExitCode.USAGE


def test_server_flag_beats_environment_which_beats_the_default() -> None:
    environment = {"SPEECHFLOW_SERVER": "http://edge:9000"}
    assert ServerAddress.choose("http://flag:1", environment).target == "flag:1"
    assert ServerAddress.choose(None, environment).target == "edge:9000"
    assert ServerAddress.choose(None, {}).url == "http://localhost:8080"


def test_config_directory_follows_xdg() -> None:
    assert config_directory({"XDG_CONFIG_HOME": "/x"}) == Path("/x/speechflow")
    assert config_directory({}) == Path.home() / ".config" / "speechflow"


def test_credentials_are_saved_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "deep" / "speechflow")
    credentials = Credentials(
        "http://localhost:8080", "a@example.com", "access", "refresh", datetime.now(UTC)
    )
    previous = os.umask(0)
    try:
        store.save(credentials)
        store.save(credentials)  # replacing keeps the mode
    finally:
        os.umask(previous)

    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert store.load() == credentials
    assert [p.name for p in store.directory.iterdir()] == ["credentials.json"]
    assert store.delete()
    assert store.load() is None


def test_unreadable_credentials_ask_to_sign_in_again(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.path.write_text("{not json")

    with pytest.raises(CliError) as raised:
        store.load()
    assert raised.value.exit_code == ExitCode.NOT_ALLOWED
    assert "speechflow login" in (raised.value.hint or "")


def test_access_token_counts_as_expired_shortly_before_its_expiry() -> None:
    now = datetime.now(UTC)
    token = Credentials("s", "e", "a", "r", now + timedelta(seconds=10))
    assert token.access_token_expired(now)
    assert not token.access_token_expired(now - timedelta(minutes=5))


def test_server_file_names_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\report.pdf") == "report.pdf"
    assert safe_file_name("..") == ""
    assert download_target(str(tmp_path), "report.pdf") == tmp_path / "report.pdf"
    assert download_target(str(tmp_path / "mine.pdf"), "report.pdf") == tmp_path / "mine.pdf"
    assert download_target("-", "report.pdf") is None


def test_usage_errors_and_help_exit_like_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "exit codes:" in capsys.readouterr().out
    assert main([]) == ExitCode.USAGE
    assert main(["ls", "--status", "sleeping"]) == ExitCode.USAGE
    assert "invalid choice" in capsys.readouterr().err


def test_title_with_several_files_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first, second = tmp_path / "a.mp3", tmp_path / "b.mp3"
    first.write_bytes(b"a")
    second.write_bytes(b"b")

    code = main(["upload", str(first), str(second), "--title", "Both"])

    assert code == ExitCode.USAGE
    assert "--title" in capsys.readouterr().err
