"""Files written in one piece: a secret is private from the moment it exists."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from services.kernel.files import atomic_join, load_or_create_secret, write_private_text


def test_a_private_file_is_readable_by_its_owner_only_and_replaces_the_old_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    write_private_text(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_joined_parts_make_one_file(tmp_path: Path) -> None:
    parts = [tmp_path / "a", tmp_path / "b"]
    parts[0].write_bytes(b"12")
    parts[1].write_bytes(b"34")
    atomic_join(parts, tmp_path / "joined")
    assert (tmp_path / "joined").read_bytes() == b"1234"


def test_a_secret_is_made_once_and_then_read_back(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    made = iter(["first", "second"])
    assert load_or_create_secret(path, lambda: next(made)) == "first"
    assert load_or_create_secret(path, lambda: next(made)) == "first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_secret_written_meanwhile_by_another_process_is_the_one_kept(tmp_path: Path) -> None:
    path = tmp_path / "secret"

    def written_by_another_process_first() -> str:
        path.write_text("theirs\n")
        return "ours"

    assert load_or_create_secret(path, written_by_another_process_first) == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    starters = 8
    # Each starter has seen no file and made its own secret before any of them writes.
    all_made = threading.Barrier(starters)

    def start(number: int) -> str:
        def made() -> str:
            all_made.wait()
            return f"secret-{number}"

        return load_or_create_secret(path, made)

    with ThreadPoolExecutor(starters) as pool:
        agreed = set(pool.map(start, range(starters)))
    assert agreed == {path.read_text()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]
