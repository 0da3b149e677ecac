"""`speechflow account vocabulary` and the upload's recognizer options (--hotwords, --speakers)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from services.cli.commands.documents import speaker_bounds
from services.cli.errors import ExitCode
from tests import media
from tests.cli.conftest import Cli


def test_the_vocabulary_is_shown_added_to_and_pruned(signed_in: Cli) -> None:
    empty = signed_in("account", "vocabulary")
    added = signed_in("account", "vocabulary", "--add", "Priya", "--add", "Kubernetes")
    pruned = signed_in("account", "vocabulary", "--remove", "priya", "--json")

    assert (empty.code, empty.out.strip()) == (
        0,
        "Your vocabulary is empty (add terms with --add).",
    )
    assert added.out.splitlines() == ["Priya", "Kubernetes"]
    assert pruned.json() == {"vocabulary": ["Kubernetes"]}


@pytest.mark.parametrize(("text", "bounds"), [("3", (3, 3)), ("2-4", (2, 4))])
def test_speaker_counts_are_one_number_or_a_range(text: str, bounds: tuple[int, int]) -> None:
    assert speaker_bounds(text) == bounds


@pytest.mark.parametrize("text", ["0", "4-2", "two", "2-"])
def test_impossible_speaker_counts_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        speaker_bounds(text)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "Kwabena sends the report on Friday.", tmp_path_factory.mktemp("cli") / "names.wav"
    )


def test_an_upload_takes_hotwords_and_a_speaker_range(signed_in: Cli, speech: Path) -> None:
    uploaded = signed_in(
        "upload", str(speech), "--hotwords", "Kwabena", "--speakers", "2-3", "--json"
    )
    refused = signed_in("upload", str(speech), "--speakers", "5-1")

    assert uploaded.code == 0, uploaded.err
    assert uploaded.json()["documents"][0]["id"]
    assert refused.code == ExitCode.USAGE
    assert "smaller number first" in refused.err
