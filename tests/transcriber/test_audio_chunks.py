"""Audio split for size-limited uploads covers everything and respects the limit."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from faster_whisper import decode_audio

from services.transcriber.engine.audio import SAMPLE_RATE
from services.transcriber.engine.audio_chunks import (
    ChunkTooLargeError,
    split_into_flac_chunks,
)


def noisy_speech_like(seconds: float) -> np.ndarray[tuple[int], np.dtype[np.float32]]:
    """Noise bursts separated by silences, so there are quiet places to cut at."""
    generator = np.random.default_rng(0)
    audio = generator.normal(0, 0.2, int(seconds * SAMPLE_RATE)).astype(np.float32)
    period = SAMPLE_RATE  # one quiet 200 ms gap per second
    for start in range(0, len(audio), period):
        audio[start : start + SAMPLE_RATE // 5] = 0.0
    return audio


def test_chunks_cover_the_audio_end_to_end_and_each_fits_the_limit() -> None:
    audio = noisy_speech_like(12.0)

    chunks = split_into_flac_chunks(audio, max_bytes=60_000)

    assert len(chunks) > 1
    assert chunks[0].offset == 0.0
    for previous, current in itertools.pairwise(chunks):
        assert current.offset == pytest.approx(previous.offset + previous.duration)
    assert chunks[-1].offset + chunks[-1].duration == pytest.approx(12.0)
    assert all(len(chunk.flac) <= 60_000 for chunk in chunks)


def test_each_chunk_decodes_to_its_stated_duration() -> None:
    chunks = split_into_flac_chunks(noisy_speech_like(6.0), max_bytes=60_000)

    for chunk in chunks:
        decoded = decode_audio(io.BytesIO(chunk.flac))
        assert len(decoded) / SAMPLE_RATE == pytest.approx(chunk.duration, abs=0.01)


def test_audio_within_the_limit_stays_one_chunk() -> None:
    chunks = split_into_flac_chunks(noisy_speech_like(3.0), max_bytes=25 * 1024 * 1024)

    assert len(chunks) == 1
    assert chunks[0].duration == pytest.approx(3.0)


def test_a_limit_too_small_for_half_a_second_is_refused() -> None:
    with pytest.raises(ChunkTooLargeError):
        split_into_flac_chunks(noisy_speech_like(2.0), max_bytes=2_000)
