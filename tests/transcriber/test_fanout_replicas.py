"""One long recording across two transcriber replicas: the chunks are shared between them,
the merged transcript says what the unsplit one says, and a replica killed while holding a
chunk does not stop the job (its chunk goes to the other replica)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.fanout_pool import FinishedJob, TranscriberPool, text_of, timed_words
from bench.seams import seam_errors
from services.transcriber.engine import Transcript, TranscriptionEngine, TranscriptionOptions
from tests.speech_corpus import (
    JFK,
    SENSE_AND_SENSIBILITY,
    SONNET_1,
    Recording,
    long_recording,
    word_error_rate,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Low, so a recording of a minute and a half makes several chunks.
ENVIRONMENT = {
    "TRANSCRIBER_FANOUT_THRESHOLD_SECONDS": "30",
    "TRANSCRIBER_CHUNK_SECONDS": "20",
    "TRANSCRIBER_CHUNK_OVERLAP_SECONDS": "3",
    # Quick redelivery of a killed replica's chunk.
    "PIPELINE_ACK_WAIT_SECONDS": "6",
    "PIPELINE_RETRY_BASE_DELAY_SECONDS": "0.2",
    # Two replicas share the machine's cores.
    "WHISPER_CPU_THREADS": "1",
    "DIARIZATION_CPU_THREADS": "1",
}
# A chunk gives the decoder other context than the unsplit recording's 30 s windows, so some
# words read differently (tiny.en on Shakespeare: "thy"/"by"; 4.8 % measured here); lost or
# doubled words are counted separately, at the seams.
MAX_WER_AGAINST_UNSPLIT = 0.08
SEAM_MARGIN_SECONDS = 5.0
JOB_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="module")
def recording() -> Recording:
    return long_recording([SENSE_AND_SENSIBILITY, SONNET_1, JFK], seconds=100)


@pytest.fixture(scope="module")
def unsplit(recording: Recording, engine: TranscriptionEngine) -> Transcript:
    """The same recording transcribed in one piece, as a single worker does."""
    return engine.transcribe(recording.path, TranscriptionOptions(language="en"))


def assert_same_words(
    pool: TranscriberPool, finished: FinishedJob, unsplit: Transcript, reference: str
) -> None:
    merged = text_of(finished.transcript)
    seams = pool.seams(finished.document_id)
    assert seams, "the recording was not fanned out"
    before = [(w.start, w.text) for s in unsplit.segments for w in s.words]
    errors = seam_errors(before, timed_words(finished.transcript), seams, SEAM_MARGIN_SECONDS)
    assert (errors.lost, errors.doubled) == (0, 0)
    assert word_error_rate(unsplit.text, merged) <= MAX_WER_AGAINST_UNSPLIT
    assert word_error_rate(reference, merged) <= word_error_rate(reference, unsplit.text) + 0.01


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[TranscriberPool]:
    running = TranscriberPool(tmp_path, ENVIRONMENT)
    await running.start()
    try:
        await asyncio.gather(running.add_replica(), running.add_replica())
        yield running
    finally:
        await running.close()


async def test_two_replicas_share_the_chunks_and_the_merge_matches_the_unsplit_transcript(
    pool: TranscriberPool, recording: Recording, unsplit: Transcript
) -> None:
    async with asyncio.timeout(JOB_TIMEOUT_SECONDS):
        finished = await pool.transcribe(recording.path)

    done = [pool.chunks(r, finished.document_id, "chunk transcribed") for r in pool.replicas]
    assert all(done), f"chunks per replica: {done}"
    # Each chunk once, by one replica or the other.
    assert sorted(done[0] + done[1]) == list(range(len(pool.seams(finished.document_id)) + 1))
    assert_same_words(pool, finished, unsplit, recording.reference)


async def test_a_replica_killed_while_it_holds_a_chunk_does_not_stop_the_job(
    pool: TranscriberPool, recording: Recording, unsplit: Transcript
) -> None:
    first, second = pool.replicas
    document_id = "killed-replica-document"
    job = asyncio.create_task(pool.transcribe(recording.path, document_id=document_id))
    try:
        async with asyncio.timeout(JOB_TIMEOUT_SECONDS):
            while True:
                held = pool.chunks(second, document_id, "chunk started")
                if held:
                    break
                await asyncio.sleep(0.05)
            await asyncio.to_thread(second.kill)
            unfinished = set(held) - set(pool.chunks(second, document_id, "chunk transcribed"))
            finished = await job
    finally:
        job.cancel()

    assert unfinished, "the replica finished its chunk before it was killed"
    # The killed replica's chunk was redone by the other one.
    assert unfinished <= set(pool.chunks(first, document_id, "chunk transcribed"))
    assert_same_words(pool, finished, unsplit, recording.reference)
