"""Serves the built web UI to Envoy, which puts it on the same origin as the API."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from services.mesh.processes import ManagedProcess, http_status


def web_root(root: Path) -> Path:
    """The built app (web/dist) when there is one, else the static fallback page."""
    built = root / "web" / "dist"
    return built if (built / "index.html").exists() else root / "web" / "public"


class StaticWebServer(ManagedProcess):
    def __init__(self, directory: Path, port: int, log_dir: Path) -> None:
        super().__init__("web", log_dir)
        self.directory = directory
        self.port = port

    def command(self) -> Sequence[str]:
        return [
            sys.executable,
            "-m",
            "http.server",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(self.directory),
        ]

    def is_ready(self) -> bool:
        return http_status(f"http://127.0.0.1:{self.port}/") == 200

    def prepare(self) -> None:
        """Nothing to prepare: the files are built beforehand."""
