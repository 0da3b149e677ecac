"""Where a long recording is cut for fan-out.

The recording is read in windows of about the chunk length, each cut in its quietest 100 ms
near the end (windows.py, the rule the transcriber already uses), so a cut rarely falls in a
word. Each window becomes one chunk that *speaks for* the window's span and also carries a
little of each neighbour's audio: a word that straddles a cut anyway is then heard whole by
both chunks, and the merge keeps it once (merge.py).
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
    """Chunk `index`: `samples` start `audio_offset` seconds into the recording; the chunk's
    words count for [keep_start, keep_end), the rest of its audio is overlap."""

    index: int
    audio_offset: float
    keep_start: float
    keep_end: float
    samples: Samples

    @property
    def keep_seconds(self) -> float:
        return self.keep_end - self.keep_start


def plan_chunks(windows: Iterable[AudioWindow], overlap_seconds: float) -> Iterator[PlannedChunk]:
    """One chunk per window, widened by up to `overlap_seconds` of audio on each side.

    Lazy, one window ahead: a chunk is yielded once the next window (whose head it borrows)
    has been read, so at most two windows are held and the first chunks can be published
    while the rest of the recording is still being decoded."""
    if overlap_seconds < 0:
        raise ValueError("overlap_seconds must not be negative")
    overlap = int(overlap_seconds * SAMPLE_RATE)
    before = _EMPTY  # the tail of the window before `current`
    current: AudioWindow | None = None
    index = 0
    for window in windows:
        if current is not None:
            yield _chunk(index, before, current, _head(window.samples, overlap))
            before = _tail(current.samples, overlap)
            index += 1
        current = window
    if current is not None:
        yield _chunk(index, before, current, _EMPTY)


def _chunk(index: int, before: Samples, window: AudioWindow, after: Samples) -> PlannedChunk:
    return PlannedChunk(
        index=index,
        audio_offset=(window.start - before.size) / SAMPLE_RATE,
        keep_start=window.start / SAMPLE_RATE,
        keep_end=(window.start + window.samples.size) / SAMPLE_RATE,
        samples=np.concatenate([before, window.samples, after]),
    )


def _head(samples: Samples, size: int) -> Samples:
    return samples[:size].copy()


def _tail(samples: Samples, size: int) -> Samples:
    # `samples[-0:]` would be all of them.
    return samples[samples.size - min(size, samples.size) :].copy()
