"""Builds the web UI when needed and serves it to Envoy, which puts it on the API's origin.

`make up` needs no separate build step: the mesh runner calls `build_web_app` first, which
runs `npm ci` and `npm run build` in web/ only when web/dist is missing or older than its
sources (set WEB_BUILD=0 to skip, e.g. for tests that need no UI). Without npm the fallback
page in web/public is served instead.
"""

from __future__ import annotations

import fcntl
import functools
import io
import posixpath
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from services.mesh.processes import ManagedProcess, http_status, log_tail

# What `npm run build` reads, relative to web/ (src/gen is its own output, so not listed).
_BUILD_INPUTS = (
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "buf.gen.yaml",
)


class WebBuildError(RuntimeError):
    """npm could not install or build the web app."""


def web_root(root: Path) -> Path:
    """The built app (web/dist) when there is one, else the static fallback page."""
    built = root / "web" / "dist"
    return built if (built / "index.html").exists() else root / "web" / "public"


def web_build_is_stale(root: Path) -> bool:
    """True when web/dist is missing or any source (app or proto) changed since it was built."""
    built = root / "web" / "dist" / "index.html"
    if not built.exists():
        return True
    built_at = built.stat().st_mtime
    return any(path.stat().st_mtime > built_at for path in _build_sources(root))


def build_web_app(root: Path, log_path: Path) -> bool:
    """Build web/dist if it is stale; False when npm is not installed (nothing was built)."""
    npm = shutil.which("npm")
    if npm is None:
        return False
    web = root / "web"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # Several test sessions or `make up` may start at once; one builds, the others wait for it.
    with (web / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not web_build_is_stale(root):
            return True
        if _dependencies_are_stale(web):
            _run_npm([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], web, log_path)
        _run_npm([npm, "run", "build"], web, log_path)
    return True


def _build_sources(root: Path) -> Iterator[Path]:
    web = root / "web"
    generated = web / "src" / "gen"
    for name in _BUILD_INPUTS:
        path = web / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (p for p in path.rglob("*") if p.is_file() and generated not in p.parents)
    yield from (root / "proto").rglob("*.proto")


def _dependencies_are_stale(web: Path) -> bool:
    installed = web / "node_modules" / ".package-lock.json"
    lock = web / "package-lock.json"
    return not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime


def _run_npm(argv: Sequence[str], web: Path, log_path: Path) -> None:
    with log_path.open("ab") as log:
        result = subprocess.run(
            list(argv), cwd=web, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        raise WebBuildError(
            f"`{' '.join(argv[1:])}` in {web} failed with code {result.returncode}; "
            f"see log {log_path}:\n{log_tail(log_path)}"
        )


class SinglePageHandler(SimpleHTTPRequestHandler):
    """Static files, with index.html for app paths (/documents/<id>: links in emails)."""

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        path = urlsplit(self.path).path
        is_asset = "." in posixpath.basename(path)
        local = Path(self.translate_path(self.path))
        if not is_asset and not local.is_file() and not (local / "index.html").is_file():
            self.path = "/index.html"
        return super().send_head()

    def end_headers(self) -> None:
        # Vite's hashed assets never change; index.html must be fetched again after a build.
        immutable = self.path.startswith("/assets/")
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        self.send_header("Cache-Control", cache)
        super().end_headers()


def serve(directory: Path, port: int) -> None:
    handler = functools.partial(SinglePageHandler, directory=str(directory))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()


class StaticWebServer(ManagedProcess):
    def __init__(self, directory: Path, port: int, log_dir: Path, name: str = "web") -> None:
        super().__init__(name, log_dir)
        self.directory = directory
        self.port = port

    def command(self) -> Sequence[str]:
        return [sys.executable, "-m", "services.mesh.web", str(self.port), str(self.directory)]

    def is_ready(self) -> bool:
        return http_status(f"http://127.0.0.1:{self.port}/") == 200

    def prepare(self) -> None:
        """Nothing to prepare: the files are built beforehand."""


if __name__ == "__main__":
    serve(Path(sys.argv[2]), int(sys.argv[1]))
