"""Fan-out drops the late work of a superseded version or a deleted document, as every stage
does. A chunk worker acks a stale chunk undecoded, stops a decode once its version goes stale
and stores no result, and stores no failure for a deleted document. The owner stops cutting
and waiting, and deletes the version's chunk objects. (Fakes for the recognizer, the
diarizer, the bus and the version follower; no NATS.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
from google.protobuf.message import Message

from services.kernel.catalogue import TRANSCRIPTION_REQUESTED
from services.kernel.jetstream import PermanentError, ReceivedEvent
from services.kernel.stage import transcript_object_key
from services.kernel.storage import ObjectStore
from services.library.lifecycle.storage import StoreSweeper
from services.transcriber.engine.audio import SAMPLE_RATE
from services.transcriber.engine.audio_chunks import encode_flac
from services.transcriber.engine.diarization import NullDiarizer
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
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
from services.transcriber.fanout.coordinator import FanOut, FanOutSettings, Superseded
from services.transcriber.worker import TranscriptionWorker
from speechflow.events.v1 import events_pb2

JOB = events_pb2.JobContext(document_id="d1", owner_id="u1", version=1, language="en")
SEGMENTS = 5


class Recognizer(Transcriber):
    """Reports progress after each of its segments; `on_segment` runs in the decoding thread
    after each one (to make the version stale mid-decode)."""

    def __init__(self) -> None:
        self.calls = 0
        self.segments_decoded = 0
        self.on_segment: list[Callable[[int], None]] = []

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        self.calls += 1
        segments = []
        for index in range(SEGMENTS):
            self.segments_decoded += 1
            for action in self.on_segment:
                action(index)
            words = (Word(float(index), index + 0.5, f" w{index}"),)
            segments.append(Segment(float(index), index + 0.5, f" w{index}", words=words))
            report((index + 1) / SEGMENTS)
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


OnPublish = Callable[[events_pb2.TranscriptionChunkRequested], Awaitable[None]]


class Bus:
    """Takes the owner's chunk jobs and answers none of them; `on_publish` runs on the event
    loop after each one. Other events (a stage's progress or completion) are kept apart."""

    def __init__(self) -> None:
        self.published: list[int] = []
        self.subjects: list[str] = []
        self.on_publish: list[OnPublish] = []

    async def publish(self, subject: str, message: Message, *, event_id: str | None = None) -> str:
        if not isinstance(message, events_pb2.TranscriptionChunkRequested):
            self.subjects.append(subject)
            return event_id or ""
        self.published.append(message.chunk_index)
        for action in self.on_publish:
            await action(message)
        return event_id or ""


def owner(store: ObjectStore, bus: Bus, versions: Versions) -> FanOut:
    settings = FanOutSettings(threshold_seconds=30, chunk_seconds=20, overlap_seconds=2)
    return FanOut(
        bus=bus, store=store, settings=settings, detect_language=lambda _s: "en", versions=versions
    )


def stored_chunk_objects(store: ObjectStore) -> list[str]:
    return [
        info.key
        for folder in ("temp/d1/", "transcripts/u1/d1/")
        for info in store.list(folder)
        if "/chunk-" in info.key
    ]


async def test_an_owner_stops_cutting_once_its_version_is_stale_and_deletes_its_chunks(
    store: ObjectStore, recording: Path, versions: Versions
) -> None:
    bus = Bus()
    newer = events_pb2.JobContext(document_id="d1", owner_id="u1", version=2)
    store.put_bytes(chunk_audio_key(newer, 0), b"flac", "audio/flac")

    async def regenerate(request: events_pb2.TranscriptionChunkRequested) -> None:
        # A chunk worker finished chunk 0 just before the regenerate landed.
        store.put_bytes(request.result_key, b"{}", "application/json")
        await versions.supersede(JOB)
        await asyncio.sleep(0.1)  # the owner has learned of it

    bus.on_publish.append(regenerate)
    with pytest.raises(Superseded):
        async with asyncio.timeout(30):
            await owner(store, bus, versions).transcribe(JOB, recording, lambda _f: None)
    assert bus.published == [0]  # the other three chunks were never cut
    assert stored_chunk_objects(store) == [chunk_audio_key(newer, 0)]  # only the new version's


async def test_an_owner_waiting_for_its_chunks_stops_once_its_document_is_deleted(
    store: ObjectStore, recording: Path, versions: Versions
) -> None:
    bus = Bus()

    async def delete_after_the_last(request: events_pb2.TranscriptionChunkRequested) -> None:
        if request.chunk_index == 3:
            asyncio.get_running_loop().call_later(
                0.3, lambda: asyncio.ensure_future(versions.supersede(JOB))
            )

    bus.on_publish.append(delete_after_the_last)
    with pytest.raises(Superseded):
        async with asyncio.timeout(30):  # not the 30 minutes of a stall
            await owner(store, bus, versions).transcribe(JOB, recording, lambda _f: None)
    assert bus.published == [0, 1, 2, 3]
    assert stored_chunk_objects(store) == []


async def test_the_transcription_job_of_a_version_gone_stale_mid_fan_out_is_dropped(
    store: ObjectStore, recording: Path, versions: Versions, tmp_path: Path
) -> None:
    job = events_pb2.JobContext()
    job.CopyFrom(JOB)
    job.original_key = "uploads/audio/u1/d1/original.wav"
    store.put_bytes(job.original_key, recording.read_bytes(), "audio/wav")
    bus = Bus()

    async def delete(_request: events_pb2.TranscriptionChunkRequested) -> None:
        await versions.supersede(job)
        await asyncio.sleep(0.1)

    bus.on_publish.append(delete)
    worker = TranscriptionWorker(
        bus=bus,
        store=store,
        transcriber=recognizer_never_called(),
        spool=tmp_path / "spool",
        versions=versions,
        fanout=owner(store, bus, versions),
    )
    request = events_pb2.StageRequested(job=job)
    event = ReceivedEvent(TRANSCRIPTION_REQUESTED, request.SerializeToString(), {}, 1, "job")

    async with asyncio.timeout(30):
        await worker.handle(event)  # returns: acked, no retry

    assert bus.subjects == []  # no transcription.completed (nor progress)
    assert store.stat(transcript_object_key(job)) is None
    assert stored_chunk_objects(store) == []


def recognizer_never_called() -> Transcriber:
    class Unused(Transcriber):
        def _transcribe(
            self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
        ) -> Transcript:
            raise AssertionError("a fanned-out job is not transcribed whole")

    return Unused()


async def test_deleting_a_document_sweeps_the_chunks_of_every_version(
    store: ObjectStore,
) -> None:
    """What a chunk worker still wrote before it learned of the deletion lies under the
    document's folders, which the library's sweep deletes."""
    for version in (1, 2):
        job = events_pb2.JobContext(document_id="d1", owner_id="u1", version=version)
        store.put_bytes(chunk_audio_key(job, 0), b"flac", "audio/flac")
        store.put_bytes(chunk_result_key(job, 0), b"{}", "application/json")
        store.put_bytes(chunk_failure_key(job, 1), b"{}", "application/json")
    assert len(stored_chunk_objects(store)) == 6

    await StoreSweeper(store).sweep_document("u1", "d1")

    assert stored_chunk_objects(store) == []
