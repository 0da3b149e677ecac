"""A chunk decoder's skipped stretches are decoded again (services/transcriber/fanout/gaps.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.transcriber.engine.audio import SAMPLE_RATE
from services.transcriber.engine.speakers import segments_from_words
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Transcript,
    TranscriptionOptions,
    Word,
)
from services.transcriber.fanout.gaps import GapFillingTranscriber, gaps


def _words(*timed: tuple[float, str]) -> list[Word]:
    return [Word(start, start + 0.4, f" {text}") for start, text in timed]  # as Whisper spells them


class Scripted(Transcriber):
    """Hears `words` (in the time of the audio it is given); records what it was given."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = list(words)
        self.heard: list[float] = []

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        assert isinstance(source, np.ndarray)
        duration = source.size / SAMPLE_RATE
        self.heard.append(duration)
        segments = segments_from_words([w for w in self.words if w.end <= duration], ())
        return Transcript("", segments, "en", duration, "tiny.en")


def test_only_stretches_of_at_least_the_minimum_without_words_are_gaps() -> None:
    words = _words((3.0, "a"), (4.0, "b"), (12.0, "c"))
    assert list(gaps(words, 20.0, min_seconds=5.0)) == [(4.4, 12.0), (12.4, 20.0)]
    assert list(gaps([], 8.0, min_seconds=5.0)) == [(0.0, 8.0)]


def test_a_stretch_the_decoder_skipped_is_filled_by_the_second_decoder() -> None:
    # The batched decoder stopped after "one two" and picked up again at 30 s.
    batched = Scripted(_words((0.5, "one"), (1.0, "two"), (30.0, "nine"), (30.5, "ten")))
    # Given the 1.4 s .. 30 s stretch, the second decoder hears it in its own time; a word
    # it places at the stretch's very edge is the batched decoder's "nine" again.
    sequential = Scripted(_words((1.0, "three"), (10.0, "four"), (28.4, "nine")))
    transcriber = GapFillingTranscriber(batched, sequential, min_gap_seconds=5.0)
    transcript = transcriber.transcribe(np.zeros(31 * SAMPLE_RATE, dtype=np.float32))
    texts = [word.text.strip() for segment in transcript.segments for word in segment.words]
    assert texts == ["one", "two", "three", "four", "nine", "ten"]
    starts = [word.start for segment in transcript.segments for word in segment.words]
    assert starts == sorted(starts)
    assert starts[2:4] == [1.4 + 1.0, 1.4 + 10.0]
    assert transcript.text == "one two three four nine ten"
    assert sequential.heard == [30.0 - 1.4]


def test_a_transcript_without_long_gaps_is_left_as_it_is() -> None:
    batched = Scripted(_words((0.5, "one"), (3.0, "two"), (6.0, "three")))
    sequential = Scripted(_words((0.1, "ghost")))
    transcriber = GapFillingTranscriber(batched, sequential, min_gap_seconds=5.0)
    transcript = transcriber.transcribe(np.zeros(7 * SAMPLE_RATE, dtype=np.float32))
    assert [w.text.strip() for s in transcript.segments for w in s.words] == ["one", "two", "three"]
    assert sequential.heard == []
