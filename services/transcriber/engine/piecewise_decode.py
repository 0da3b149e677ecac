"""A container's first audio track decoded piece by piece as it is read, to the very samples
faster-whisper's whole-file `decode_audio` gives, so a long recording need not be held in
memory at once (windows.py cuts the pieces into windows)."""

from __future__ import annotations

from collections.abc import Iterator

import av
import numpy as np
import numpy.typing as npt

from services.transcriber.engine.audio import SAMPLE_RATE, Samples, decoding_errors

# Decoded frames are resampled in groups of about this many samples, as faster-whisper does.
_RESAMPLE_GROUP_SAMPLES = 500_000
_S16_SCALE = 32768.0


def decode_in_pieces(container: av.container.InputContainer) -> Iterator[Samples]:
    """The first audio track as float32 pieces, decoded exactly as `decode_audio` does
    (frames grouped in a FIFO, resampled to signed 16-bit mono at 16 kHz, then scaled), so
    the pieces put together hold the same samples as a whole decode."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    fifo = av.AudioFifo()
    with decoding_errors():
        for frame in _valid_frames(container.decode(audio=0)):
            frame.pts = None  # the FIFO checks timestamps; damaged files have gaps
            fifo.write(frame)
            if fifo.samples >= _RESAMPLE_GROUP_SAMPLES:
                yield _resampled(resampler, fifo.read())
        if fifo.samples:
            yield _resampled(resampler, fifo.read())
        yield _resampled(resampler, None)  # flushes what the resampler still holds


def _resampled(resampler: av.AudioResampler, frame: av.AudioFrame | None) -> Samples:
    arrays = [out.to_ndarray().reshape(-1) for out in resampler.resample(frame) if out.samples]
    if not arrays:
        return np.zeros(0, dtype=np.float32)
    pcm: npt.NDArray[np.int16] = np.concatenate(arrays)
    return pcm.astype(np.float32) / np.float32(_S16_SCALE)


def _valid_frames(frames: Iterator[av.AudioFrame]) -> Iterator[av.AudioFrame]:
    """Skip frames FFmpeg cannot decode, as faster-whisper does: one damaged packet should
    not cost the whole recording."""
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue
