"""Bundled models resolve to local folders; other names pass through untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.transcriber.engine.models import assemble_whisper_base, resolve_model

# Whisper base split in two packages: model.bin.part1 + model.bin.part2 (72,608,766 bytes each).
BASE_MODEL_BYTES = 2 * 72_608_766


def test_tiny_en_resolves_to_the_bundled_model_folder_as_a_string(tmp_path: Path) -> None:
    location = resolve_model("tiny.en", tmp_path)

    assert isinstance(location, str)
    assert (Path(location) / "model.bin").is_file()
    assert str(tmp_path) not in location


def test_base_is_joined_into_the_cache_folder_with_its_tokenizer(tmp_path: Path) -> None:
    location = Path(resolve_model("base", tmp_path))

    assert location == tmp_path / "whisper-base"
    assert (location / "model.bin").stat().st_size == BASE_MODEL_BYTES
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (location / name).stat().st_size > 0
    assert not [p.name for p in location.iterdir() if p.name.startswith(".")]


def test_an_assembled_base_model_is_not_written_again(tmp_path: Path) -> None:
    target = assemble_whisper_base(tmp_path / "whisper-base")
    model = target / "model.bin"
    os.utime(model, (1_000_000, 1_000_000))

    assemble_whisper_base(target)

    assert model.stat().st_mtime == 1_000_000


def test_a_half_written_base_model_is_rebuilt(tmp_path: Path) -> None:
    target = assemble_whisper_base(tmp_path / "whisper-base")
    with (target / "model.bin").open("r+b") as model:
        model.truncate(1024)

    assemble_whisper_base(target)

    assert (target / "model.bin").stat().st_size == BASE_MODEL_BYTES


@pytest.mark.parametrize("name", ["large-v3", "Systran/faster-whisper-small", "/models/custom"])
def test_other_names_and_paths_pass_through_unchanged(tmp_path: Path, name: str) -> None:
    assert resolve_model(name, tmp_path) == name
