"""Temporary files a crashed process leaves behind (a half-written object, a downloaded
recording, an email not yet linked into place), removed when the service starts again.

Only files nobody has touched for `min_age_seconds` go: another process sharing the folder
(a second replica, or another service writing into the same local store) may be writing a
younger one right now, and a file being written keeps its modification time fresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("speechflow.leftovers")

DEFAULT_MIN_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class Leftovers:
    """Files matching `pattern` directly inside `directory` are temporary by construction."""

    directory: Path
    pattern: str
    min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS


def sweep_leftovers(locations: Iterable[Leftovers], now: float | None = None) -> int:
    """Removes stale temporary files; returns how many. Never raises for a file that
    vanished meanwhile or cannot be removed (a sweep must not stop a service starting)."""
    moment = time.time() if now is None else now
    removed = 0
    for where in locations:
        if not where.directory.is_dir():
            continue
        for path in where.directory.glob(where.pattern):
            try:
                if not path.is_file() or moment - path.stat().st_mtime < where.min_age_seconds:
                    continue
                path.unlink()
            except OSError:
                continue
            removed += 1
            log.info("removed a leftover temporary file", extra={"path": str(path)})
    return removed
