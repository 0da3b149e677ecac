"""The owner of a fanned-out job: a retried job reuses the chunks an earlier attempt finished
and publishes only the missing ones; a chunk given up on fails the job instead of leaving it
waiting; progress is the share of audio done. (A fake bus and chunk worker; the real ones
are in test_fanout_replicas.py.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from google.protobuf.message import Message

from services.kernel.jetstream import PermanentError
from services.kernel.storage import ObjectStore
from services.transcriber.engine.diarization import VoicedTurns
from services.transcriber.engine.transcript import Word
from services.transcriber.fanout.chunks import chunk_failure_key
from services.transcriber.fanout.coordinator import FanOut, FanOutSettings
from services.transcriber.fanout.result import ChunkResult
from speechflow.events.v1 import events_pb2

SETTINGS = FanOutSettings(threshold_seconds=30, chunk_seconds=20, overlap_seconds=2)
JOB = events_pb2.JobContext(document_id="d1", owner_id="u1", version=1, language="en")


class ChunkWorkers:
    """Stands in for the bus and every replica's chunk consumer: each chunk job published is
    answered by storing a result (one word per second of the chunk's span), unless told to
    give it up."""

    def __init__(self, store: ObjectStore, give_up: frozenset[int] = frozenset()) -> None:
        self.store = store
        self.give_up = give_up
        self.published: list[int] = []

    async def publish(self, subject: str, message: Message, *, event_id: str | None = None) -> str:
        assert isinstance(message, events_pb2.TranscriptionChunkRequested)
        self.published.append(message.chunk_index)
        asyncio.get_running_loop().call_soon(self._answer, message)
        return event_id or ""

    def _answer(self, request: events_pb2.TranscriptionChunkRequested) -> None:
        if request.chunk_index in self.give_up:
            failure = json.dumps({"reason": "undecodable", "permanent": True}).encode()
            key = chunk_failure_key(request.job, request.chunk_index)
            self.store.put_bytes(key, failure, "application/json")
            return
        start, end = request.keep_start_seconds, request.keep_end_seconds
        words = [Word(t, t + 0.3, f" w{int(t)}.") for t in np.arange(np.ceil(start), end)]
        result = ChunkResult.answering(
            request,
            language="en",
            model="fake",
            words=words,
            voiced=VoicedTurns([], {}),
        )
        self.store.put_bytes(request.result_key, result.to_json(), "application/json")


def owner(store: ObjectStore, workers: ChunkWorkers) -> FanOut:
    return FanOut(bus=workers, store=store, settings=SETTINGS, detect_language=lambda _s: "en")


async def test_a_recording_over_the_threshold_is_merged_from_every_chunk(
    store: ObjectStore, recording: Path
) -> None:
    workers = ChunkWorkers(store)
    progress: list[float] = []

    transcript = await owner(store, workers).transcribe(JOB, recording, progress.append)

    assert transcript is not None
    assert workers.published == [0, 1, 2, 3]
    words = [w.text.strip(" .") for s in transcript.segments for w in s.words]
    assert words == [f"w{t}" for t in range(70)]
    assert progress == sorted(progress)
    assert progress[-1] == pytest.approx(1.0)


async def test_a_retried_job_publishes_only_the_chunks_not_finished_before(
    store: ObjectStore, recording: Path
) -> None:
    first = await owner(store, ChunkWorkers(store)).transcribe(JOB, recording, lambda _f: None)
    # The earlier attempt's owner died before chunks 1 and 3 were done.
    for index in (1, 3):
        store.delete(f"transcripts/u1/d1/chunk-v1-{index:04d}.json")
    retry = ChunkWorkers(store)

    again = await owner(store, retry).transcribe(JOB, recording, lambda _f: None)

    assert retry.published == [1, 3]
    assert again == first


async def test_a_chunk_given_up_on_fails_the_job(store: ObjectStore, recording: Path) -> None:
    workers = ChunkWorkers(store, give_up=frozenset({2}))

    with pytest.raises(PermanentError, match="chunk 3: undecodable"):
        async with asyncio.timeout(30):
            await owner(store, workers).transcribe(JOB, recording, lambda _f: None)


async def test_a_recording_under_the_threshold_is_left_to_the_whole_file_path(
    store: ObjectStore, recording: Path
) -> None:
    workers = ChunkWorkers(store)
    short = FanOutSettings(threshold_seconds=600, chunk_seconds=20, overlap_seconds=2)

    fanout = FanOut(bus=workers, store=store, settings=short, detect_language=lambda _s: "en")

    assert await fanout.transcribe(JOB, recording, lambda _f: None) is None
    assert workers.published == []
