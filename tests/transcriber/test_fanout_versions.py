"""A chunk worker drops the late work of a superseded version or a deleted document, as every
stage does: a stale chunk is acked undecoded, a decode under way stops once the version goes
stale and stores no result, and a deleted document gets no failure object. (Fakes for the
recognizer, the diarizer and the version follower; no NATS.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from services.kernel.jetstream import PermanentError, ReceivedEvent
from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.transcriber.engine.audio import SAMPLE_RATE
from services.transcriber.engine.audio_chunks import encode_flac
from services.transcriber.engine.diarization import NullDiarizer
from services.transcriber.engine.transcript import (
    DEFAULT_OPTIONS,
    AudioSource,
    ProgressCallback,
    Segment,
    Transcript,
    TranscriptionOptions,
    Word,
)
from services.transcriber.fanout.chunks import (
    CHUNK_REQUESTED,
    ChunkWorker,
    chunk_audio_key,
    chunk_failure_key,
    chunk_result_key,
)
from speechflow.events.v1 import events_pb2

JOB = events_pb2.JobContext(document_id="d1", owner_id="u1", version=1, language="en")
SEGMENTS = 5


class Recognizer:
    """Reports progress after each of its segments; `on_segment` runs in the decoding thread
    after each one (to make the version stale mid-decode)."""

    def __init__(self) -> None:
        self.calls = 0
        self.segments_decoded = 0
        self.on_segment: list[Callable[[int], None]] = []

    def transcribe(
        self,
        source: AudioSource,
        options: TranscriptionOptions = DEFAULT_OPTIONS,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        self.calls += 1
        segments = []
        for index in range(SEGMENTS):
            self.segments_decoded += 1
            for action in self.on_segment:
                action(index)
            words = (Word(float(index), index + 0.5, f" w{index}"),)
            segments.append(Segment(float(index), index + 0.5, f" w{index}", words=words))
            if on_progress is not None:
                on_progress((index + 1) / SEGMENTS)
        return Transcript(
            text=" ".join(s.text for s in segments),
            segments=tuple(segments),
            language="en",
            duration=float(SEGMENTS),
            model="fake",
        )


class Versions:
    """The version follower as a chunk worker sees it: told of changes by the test."""

    def __init__(self) -> None:
        self._stale: set[tuple[str, int]] = set()
        self._learned = asyncio.Condition()

    async def supersede(self, job: events_pb2.JobContext) -> None:
        """A regenerate or a deletion, as the follower learns of it."""
        async with self._learned:
            self._stale.add((job.document_id, job.version))
            self._learned.notify_all()

    async def still_current(self, job: events_pb2.JobContext, before: str) -> bool:
        return (job.document_id, job.version) not in self._stale

    async def wait_until_stale(self, job: events_pb2.JobContext) -> None:
        async with self._learned:
            await self._learned.wait_for(lambda: (job.document_id, job.version) in self._stale)


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return store_from_settings(StorageSettings(data_dir=tmp_path, storage_backend="local"))


@pytest.fixture
def versions() -> Versions:
    return Versions()


@pytest.fixture
def recognizer() -> Recognizer:
    return Recognizer()


@pytest.fixture
async def worker(
    store: ObjectStore, recognizer: Recognizer, versions: Versions
) -> AsyncIterator[ChunkWorker]:
    chunks = ChunkWorker(
        store=store, recognizer=recognizer, diarizer=NullDiarizer(), versions=versions
    )
    yield chunks
    chunks.close()


def chunk_event(store: ObjectStore, *, with_audio: bool = True) -> ReceivedEvent:
    request = events_pb2.TranscriptionChunkRequested(
        job=JOB,
        chunk_index=0,
        audio_key=chunk_audio_key(JOB, 0),
        result_key=chunk_result_key(JOB, 0),
        keep_start_seconds=0.0,
        keep_end_seconds=float(SEGMENTS),
        language="en",
    )
    if with_audio:
        pcm = np.zeros(SEGMENTS * SAMPLE_RATE, dtype=np.int16)
        store.put_bytes(request.audio_key, encode_flac(pcm), "audio/flac")
    return ReceivedEvent(CHUNK_REQUESTED, request.SerializeToString(), {}, 1, "chunk-0")


async def test_a_current_chunk_is_decoded_and_its_result_stored(
    worker: ChunkWorker, store: ObjectStore, recognizer: Recognizer
) -> None:
    await worker.handle(chunk_event(store))
    assert recognizer.calls == 1
    assert store.stat(chunk_result_key(JOB, 0)) is not None


async def test_a_chunk_stale_before_it_starts_is_acked_undecoded(
    worker: ChunkWorker, store: ObjectStore, recognizer: Recognizer, versions: Versions
) -> None:
    event = chunk_event(store)
    await versions.supersede(JOB)
    await worker.handle(event)  # returns: acked
    assert recognizer.calls == 0
    assert store.stat(chunk_result_key(JOB, 0)) is None
    assert store.stat(chunk_failure_key(JOB, 0)) is None


async def test_a_chunk_going_stale_mid_decode_stops_and_stores_no_result(
    worker: ChunkWorker, store: ObjectStore, recognizer: Recognizer, versions: Versions
) -> None:
    loop = asyncio.get_running_loop()

    def after_segment(index: int) -> None:
        if index == 1:  # the decoding thread goes on once the worker could have seen it
            asyncio.run_coroutine_threadsafe(versions.supersede(JOB), loop).result(5)
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), loop).result(5)

    recognizer.on_segment.append(after_segment)
    await worker.handle(chunk_event(store))
    assert store.stat(chunk_result_key(JOB, 0)) is None
    assert recognizer.segments_decoded < SEGMENTS  # abandoned, not decoded to the end


async def test_a_deleted_documents_chunk_whose_audio_is_gone_leaves_no_failure(
    worker: ChunkWorker, store: ObjectStore, versions: Versions
) -> None:
    event = chunk_event(store, with_audio=False)
    # The chunk was taken while the document still existed; its audio went with it.
    with pytest.raises(PermanentError):
        await worker.handle(event)
    await versions.supersede(JOB)
    await worker.gave_up(event, PermanentError("chunk audio is gone"), True)
    assert store.stat(chunk_failure_key(JOB, 0)) is None


async def test_a_current_chunk_given_up_on_leaves_its_failure_for_the_owner(
    worker: ChunkWorker, store: ObjectStore
) -> None:
    event = chunk_event(store, with_audio=False)
    await worker.gave_up(event, PermanentError("chunk audio is gone"), True)
    assert store.stat(chunk_failure_key(JOB, 0)) is not None
