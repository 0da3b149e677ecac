"""A long recording is cut for fan-out in its pauses, into chunks that tile it exactly, each
also hearing a little of the audio before its cut."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from services.transcriber.engine.audio import SAMPLE_RATE, Samples
from services.transcriber.engine.windows import AudioWindows
from services.transcriber.fanout.plan import PlannedChunk, plan_chunks

CHUNK_SECONDS = 20.0
OVERLAP_SECONDS = 1.0


def tone_with_pauses(seconds: float, pauses: list[tuple[float, float]]) -> Samples:
    """A loud tone throughout (speech-like energy), silent during `pauses`."""
    rng = np.random.default_rng(7)
    samples = (0.3 * rng.standard_normal(int(seconds * SAMPLE_RATE))).astype(np.float32)
    for start, end in pauses:
        samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] = 0.0
    return samples


def plan(samples: Samples) -> list[PlannedChunk]:
    with AudioWindows(samples, CHUNK_SECONDS) as windows:
        return list(plan_chunks(windows, OVERLAP_SECONDS))


def test_each_cut_falls_in_a_pause_near_the_chunk_length() -> None:
    pauses = [(17.0, 17.6), (35.5, 36.1), (52.0, 52.6)]
    chunks = plan(tone_with_pauses(70.0, pauses))

    cuts = [chunk.keep_start for chunk in chunks[1:]]
    assert len(cuts) == len(pauses)
    for cut, (start, end) in zip(cuts, pauses, strict=True):
        assert start <= cut <= end


def test_the_chunks_speak_for_every_second_exactly_once() -> None:
    samples = tone_with_pauses(70.0, [(17.0, 17.6), (35.5, 36.1)])
    chunks = plan(samples)

    assert chunks[0].keep_start == 0.0
    assert chunks[-1].keep_end == pytest.approx(samples.size / SAMPLE_RATE)
    for earlier, later in itertools.pairwise(chunks):
        assert earlier.keep_end == later.keep_start
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))


def test_each_chunk_but_the_first_also_hears_the_overlap_before_its_cut() -> None:
    samples = tone_with_pauses(70.0, [(17.0, 17.6), (35.5, 36.1)])
    chunks = plan(samples)

    for index, chunk in enumerate(chunks):
        start = round(chunk.audio_offset * SAMPLE_RATE)
        assert np.array_equal(chunk.samples, samples[start : start + chunk.samples.size])
        before = chunk.keep_start - chunk.audio_offset
        assert before == pytest.approx(0.0 if index == 0 else OVERLAP_SECONDS)
        # Its audio ends at its cut, in the pause, not in the next chunk's speech.
        assert chunk.audio_offset + chunk.samples.size / SAMPLE_RATE == pytest.approx(
            chunk.keep_end
        )


def test_a_recording_shorter_than_a_chunk_is_one_chunk_without_overlap() -> None:
    samples = tone_with_pauses(12.0, [])
    (only,) = plan(samples)

    assert (only.audio_offset, only.keep_start) == (0.0, 0.0)
    assert np.array_equal(only.samples, samples)
