"""Where a long recording is cut for fan-out.

The recording is read in windows of about the chunk length, each cut in its quietest 100 ms
near the end (windows.py, the rule the transcriber already uses), so a cut rarely falls in a
word. Each window becomes one chunk that *speaks for* the window's span; every chunk but the
first also hears `overlap` seconds before its cut. Why before and not after: Whisper tends to
drop an utterance that the audio cuts off, so a chunk's last seconds are its least reliable
part; the next chunk hears them again with context on both sides, and the merge takes the
words the earlier chunk missed from there (merge.py). The earlier chunk's audio ends at the
cut, in the quiet spot, where its decoder sees utterances end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from services.transcriber.engine.audio import SAMPLE_RATE, Samples
from services.transcriber.engine.windows import AudioWindow

_EMPTY: Samples = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class PlannedChunk:
    """Chunk `index`: `samples` start `audio_offset` seconds into the recording; the chunk
    speaks for [keep_start, keep_end), the audio before keep_start is overlap."""

    index: int
    audio_offset: float
    keep_start: float
    keep_end: float
    samples: Samples

    @property
    def keep_seconds(self) -> float:
        return self.keep_end - self.keep_start


def plan_chunks(windows: Iterable[AudioWindow], overlap_seconds: float) -> Iterator[PlannedChunk]:
    """One chunk per window, every one but the first widened by up to `overlap_seconds` of
    the audio before it. Lazy: one window and the previous one's tail are held, so the first
    chunks can be published while the rest of the recording is still being decoded."""
    if overlap_seconds < 0:
        raise ValueError("overlap_seconds must not be negative")
    overlap = int(overlap_seconds * SAMPLE_RATE)
    before = _EMPTY  # the tail of the previous window
    for index, window in enumerate(windows):
        yield PlannedChunk(
            index=index,
            audio_offset=(window.start - before.size) / SAMPLE_RATE,
            keep_start=window.start / SAMPLE_RATE,
            keep_end=(window.start + window.samples.size) / SAMPLE_RATE,
            samples=np.concatenate([before, window.samples]),
        )
        # A copy, so the window just handed out is not kept alive by its tail; `[-0:]`
        # would be all of it.
        before = window.samples[window.samples.size - min(overlap, window.samples.size) :].copy()
