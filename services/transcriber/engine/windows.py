"""A recording as consecutive windows of 16 kHz mono samples, decoded as it is read.

A whole-file decode holds the recording in memory (4 h = 0.9 GB of float32); windows hold one
window plus the few seconds carried over to the next, so memory no longer grows with the
length of the upload. Each cut falls on the quietest 100 ms near the window's end (the same
rule as the Groq upload chunks), so words are not split between two windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from services.transcriber.engine.audio import (
    EMPTY_AUDIO_TRACK,
    NO_AUDIO_TRACK,
    SAMPLE_RATE,
    Samples,
    decoding_errors,
)
from services.transcriber.engine.audio_chunks import quiet_cut_point
from services.transcriber.engine.errors import PermanentTranscriptionError
from services.transcriber.engine.piecewise_decode import decode_in_pieces
from services.transcriber.engine.transcript import AudioSource

DEFAULT_WINDOW_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class AudioWindow:
    """`samples` of the recording starting `start` samples in."""

    start: int
    samples: Samples

    @property
    def offset(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def duration(self) -> float:
        return self.samples.size / SAMPLE_RATE


class AudioWindows:
    """Context manager and iterable: `with AudioWindows(path) as windows: for w in windows`.

    Opening reads the container header (so a file that is no media fails there) and gives
    `estimated_seconds`, the length the container claims (None if it does not say), which is
    enough for progress; the real length is the sum of the windows. Raises the errors of
    `decode_audio`, with the same messages.
    """

    def __init__(self, source: AudioSource, window_seconds: float = DEFAULT_WINDOW_SECONDS):
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._source = source
        self._window = max(int(window_seconds * SAMPLE_RATE), 1)
        self._container: av.container.InputContainer | None = None
        self.estimated_seconds: float | None = None

    def __enter__(self) -> AudioWindows:
        if isinstance(self._source, np.ndarray):
            self.estimated_seconds = self._source.size / SAMPLE_RATE
            return self
        path_or_file = str(self._source) if isinstance(self._source, Path) else self._source
        with decoding_errors():
            container = av.open(path_or_file, mode="r", metadata_errors="ignore")
        self._container = container
        if not container.streams.audio:
            container.close()
            raise PermanentTranscriptionError(NO_AUDIO_TRACK)
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            self.estimated_seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            self.estimated_seconds = container.duration / av.time_base
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __iter__(self) -> Iterator[AudioWindow]:
        if isinstance(self._source, np.ndarray):
            pieces: Iterable[Samples] = [np.asarray(self._source, dtype=np.float32).reshape(-1)]
        elif self._container is None:
            raise RuntimeError("AudioWindows must be entered (with ...) before iterating")
        else:
            pieces = decode_in_pieces(self._container)
        yielded = False
        for window in _cut(pieces, self._window):
            yielded = True
            yield window
        if not yielded:
            raise PermanentTranscriptionError(EMPTY_AUDIO_TRACK)


def _cut(pieces: Iterable[Samples], window: int) -> Iterator[AudioWindow]:
    """Consecutive windows of about `window` samples from a stream of sample pieces; only the
    current window and the tail after its cut are held."""
    held: list[Samples] = []
    held_size = 0
    start = 0
    for piece in pieces:
        held.append(piece)
        held_size += piece.size
        while held_size > window:
            buffer = np.concatenate(held) if len(held) > 1 else held[0]
            end = quiet_cut_point(buffer, 0, window)
            yield AudioWindow(start, buffer[:end])
            # A copy, so the window just handed out is not kept alive by its tail.
            tail = buffer[end:].copy()
            del buffer
            held, held_size = [tail], tail.size
            start += end
    if held_size:
        yield AudioWindow(start, np.concatenate(held) if len(held) > 1 else held[0])
