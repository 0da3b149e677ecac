"""File operations whose half-done state must never be mistaken for a finished file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_COPY_BUFFER_BYTES = 8 * 1024 * 1024


def atomic_join(sources: Sequence[Path], destination: Path) -> None:
    """Concatenate `sources` into `destination`: a crash or a concurrent process never sees a
    partial file there."""
    with _replaced_when_written(destination) as out:
        for source in sources:
            with source.open("rb") as part:
                shutil.copyfileobj(part, out, length=_COPY_BUFFER_BYTES)


def write_private_text(destination: Path, text: str) -> None:
    """Write a file that holds secrets (passwords, their hashes, keys): readable by its owner
    only from the moment it exists, and never seen half written."""
    with _replaced_when_written(destination) as out:
        out.write(text.encode("utf-8"))


def load_or_create_secret(path: Path, new_secret: Callable[[], str]) -> str:
    """The secret kept in `path`, made by `new_secret` and written private (as
    `write_private_text`) on first use; its folder must exist. Processes starting together
    agree on one: the file that is in place first stays, the others' are dropped."""
    if not path.exists():
        with _replaced_when_written(path, unless_present=True) as out:
            out.write(new_secret().encode("utf-8"))
    return path.read_text(encoding="utf-8").strip()


@contextmanager
def _replaced_when_written(
    destination: Path, *, unless_present: bool = False
) -> Iterator[BinaryIO]:
    """A temporary file beside `destination` (mode 0600, as `tempfile.mkstemp` makes it) that
    is fsynced and renamed into place once the block ends (or, `unless_present`, dropped if
    `destination` exists by then), or removed if the block raises."""
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if unless_present:
            _link_unless_present(Path(temporary), destination)
        else:
            os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _link_unless_present(temporary: Path, destination: Path) -> None:
    """Put `temporary` at `destination` unless a file is there already, atomically: a hard
    link fails if the name exists, so of processes racing the first wins and every one then
    reads its file. On a file system without hard links, the rename after a check (a race
    only within the same instant) is the fallback."""
    try:
        os.link(temporary, destination)
    except FileExistsError:
        pass
    except OSError:
        if not destination.exists():
            os.replace(temporary, destination)
            return
    temporary.unlink()
