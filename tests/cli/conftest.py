"""Run `speechflow` in-process against the real mesh, with a private config directory."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.cli.__main__ import main
from services.mesh.runner import Mesh

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`speechflow --server <the test mesh's Envoy> ...`, output captured per call."""

    def __init__(self, server: str, config_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.server = server
        self.config_home = config_home
        self._capsys = capsys

    @property
    def credentials_path(self) -> Path:
        return self.config_home / "speechflow" / "credentials.json"

    def __call__(self, *args: str) -> Run:
        self._capsys.readouterr()
        code = main(["--server", self.server, *args])
        captured = self._capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def register(self, name: str = "Robin") -> str:
        email = f"cli-{uuid.uuid4().hex[:10]}@example.com"
        result = self("register", "--email", email, "--name", name, "--json")
        assert result.code == 0, result.err
        return email

    def credentials(self) -> dict[str, Any]:
        saved: dict[str, Any] = json.loads(self.credentials_path.read_text())
        return saved

    def rewrite_credentials(self, **changes: str) -> None:
        self.credentials_path.write_text(json.dumps(self.credentials() | changes))


def envoy_url(mesh: Mesh) -> str:
    return f"http://127.0.0.1:{mesh.settings.envoy_port}"


@pytest.fixture
def cli(
    mesh: Mesh,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    config_home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("SPEECHFLOW_PASSWORD", PASSWORD)
    monkeypatch.delenv("SPEECHFLOW_SERVER", raising=False)
    return Cli(envoy_url(mesh), config_home, capsys)


@pytest.fixture
def signed_in(cli: Cli) -> Cli:
    cli.register()
    return cli
