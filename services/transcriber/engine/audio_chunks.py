"""Cut decoded audio into FLAC files that each fit an upload limit."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

from services.transcriber.engine.audio import SAMPLE_RATE, Samples

# 16-bit mono PCM; FLAC is never meaningfully larger than the raw samples it holds.
_RAW_BYTES_PER_SECOND = SAMPLE_RATE * 2
_CONTAINER_OVERHEAD_BYTES = 8 * 1024
_QUIET_SEARCH_FRACTION = 0.2
_QUIET_FRAME_SECONDS = 0.1
_MIN_CHUNK_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class AudioChunk:
    offset: float
    duration: float
    flac: bytes


class ChunkTooLargeError(ValueError):
    """Even half a second of audio does not fit the upload limit."""


def split_into_flac_chunks(audio: Samples, max_bytes: int) -> list[AudioChunk]:
    """Consecutive chunks covering all of `audio`, each encoded under `max_bytes`.

    Cuts fall on the quietest 100 ms near the end of each window so words are rarely split.
    """
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    window = _window_samples(max_bytes)
    chunks: list[AudioChunk] = []
    start = 0
    while start < len(pcm):
        size = window
        while True:
            end = quiet_cut_point(pcm, start, size)
            encoded = encode_flac(pcm[start:end])
            if len(encoded) <= max_bytes:
                break
            size //= 2
            if size < _MIN_CHUNK_SECONDS * SAMPLE_RATE:
                raise ChunkTooLargeError(f"upload limit of {max_bytes} bytes is too small")
        chunks.append(
            AudioChunk(
                offset=start / SAMPLE_RATE, duration=(end - start) / SAMPLE_RATE, flac=encoded
            )
        )
        start = end
    return chunks


def encode_flac(pcm: np.ndarray[tuple[int], np.dtype[np.int16]]) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        if not isinstance(stream, av.AudioStream):
            raise TypeError("PyAV returned a non-audio stream for flac")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def _window_samples(max_bytes: int) -> int:
    seconds = (max_bytes - _CONTAINER_OVERHEAD_BYTES) / _RAW_BYTES_PER_SECOND
    return int(max(seconds, _MIN_CHUNK_SECONDS) * SAMPLE_RATE)


def quiet_cut_point(
    pcm: np.ndarray[tuple[int], np.dtype[np.int16]] | Samples, start: int, size: int
) -> int:
    """Where a piece starting at `start` of about `size` samples ends: in the quietest 100 ms
    of its last fifth (the end of the audio if that comes first). Groq's upload chunks and
    the recording's windows (windows.py) are cut by this one rule."""
    end = start + size
    if end >= len(pcm):
        return len(pcm)
    frame = int(_QUIET_FRAME_SECONDS * SAMPLE_RATE)
    search_start = end - int(size * _QUIET_SEARCH_FRACTION)
    region = pcm[search_start:end].astype(np.float32)
    frames = len(region) // frame
    if frames < 2:
        return end
    energy = (region[: frames * frame].reshape(frames, frame) ** 2).mean(axis=1)
    # Cut in the middle of the quietest frame.
    return search_start + int(np.argmin(energy)) * frame + frame // 2
