"""File operations whose half-done state must never be mistaken for a finished file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

_COPY_BUFFER_BYTES = 8 * 1024 * 1024


def atomic_join(sources: Sequence[Path], destination: Path) -> None:
    """Concatenate `sources` into `destination` through a temporary file that is fsynced and
    renamed into place: a crash or a concurrent process never sees a partial file there."""
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    shutil.copyfileobj(part, out, length=_COPY_BUFFER_BYTES)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
