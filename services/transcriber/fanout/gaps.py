"""Stretches a decoder skipped, decoded again on their own.

faster-whisper's batched pipeline decodes ~30 s pieces of speech without timestamps and
without the sequential decoder's temperature fallback; when a piece holds the end of one
passage and the start of another (another voice, another text), it sometimes ends the piece
after its first sentence, and the rest of those 30 s is lost (measured on case 13's chunks:
20 words for 29 s of speech where the unsplit decode heard 70; bench/fanout_wer.py). Such a
loss shows as a long stretch without words. `GapFillingTranscriber` decodes every stretch of
at least GAP_SECONDS between two words (or the audio's edges) again with a second decoder,
with its voice activity filter on: a real pause costs only that filter's pass, a skipped
passage comes back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from services.transcriber.engine.audio import SAMPLE_RATE, decode_audio
from services.transcriber.engine.speakers import transcript_from_words
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Transcript,
    TranscriptionOptions,
    Word,
    words_in_recording_time,
)

# Longer than the pauses between sentences or speakers, shorter than a skipped passage.
GAP_SECONDS = 5.0


def gaps(
    words: Sequence[Word], duration: float, min_seconds: float
) -> Iterator[tuple[float, float]]:
    """(start, end) of every stretch of at least `min_seconds` with no word in it."""
    previous_end = 0.0
    for word in [*words, Word(duration, duration, "")]:
        if word.start - previous_end >= min_seconds:
            yield previous_end, word.start
        previous_end = max(previous_end, word.end)


class GapFillingTranscriber(Transcriber):
    """`decoder`'s transcript, with the long stretches it left without words decoded again
    by `refill` (e.g. the batched engine, then the sequential one)."""

    def __init__(
        self, decoder: Transcriber, refill: Transcriber, min_gap_seconds: float = GAP_SECONDS
    ) -> None:
        self._decoder = decoder
        self._refill = refill
        self._min_gap = min_gap_seconds

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        samples = decode_audio(source)
        transcript = self._decoder.transcribe(samples, options, report)
        words = words_in_recording_time(transcript, 0.0)
        found: list[Word] = []
        for start, end in gaps(words, transcript.duration, self._min_gap):
            piece = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            again = words_in_recording_time(self._refill.transcribe(piece, options), start)
            # Only what lies inside the stretch: the words at its edges are already there.
            found += [word for word in again if start <= (word.start + word.end) / 2 < end]
        if not found:
            return transcript
        return transcript_from_words(
            sorted([*words, *found], key=lambda word: word.start),
            (),
            language=transcript.language,
            duration=transcript.duration,
            model=transcript.model,
        )
