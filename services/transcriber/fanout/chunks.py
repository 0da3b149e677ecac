"""Chunk jobs: the work-queue stream they travel on, where their audio and results are
stored, and the worker every transcriber replica runs to take them.

A chunk job is acked only once its result is stored; while it runs, the kernel's heartbeat
keeps it from being redelivered, so only a crashed replica's chunk goes to another replica.
A chunk whose result already exists (a duplicate, or a retried job) is acked at once.

Like every stage, a chunk worker drops the late work of a superseded version or a deleted
document (services/kernel/versions.py): such a chunk is acked undecoded, a decode under way
stops at its next progress report once the version goes stale, and neither its result nor
its failure is stored under the document's folders.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from services.kernel import catalogue
from services.kernel.jetstream import ConsumerSpec, EventBus, PermanentError, ReceivedEvent
from services.kernel.stage import StageSettings
from services.kernel.storage import ObjectNotFound, ObjectStore, temp_key, transcript_key
from services.kernel.versions import CurrentVersions, stale_flag
from services.transcriber.engine import Transcriber
from services.transcriber.engine.audio import decode_audio
from services.transcriber.engine.diarization import Diarizer, VoicedTurns
from services.transcriber.engine.transcript import Samples, words_in_recording_time
from services.transcriber.fanout.result import ChunkResult
from services.transcriber.jobs import recognizer_failures_as_job_errors, transcription_options
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.transcriber.fanout")

CONSUMER = catalogue.TRANSCRIBER_CHUNK_CONSUMER
CHUNK_REQUESTED = catalogue.TRANSCRIPTION_CHUNK_REQUESTED
# Chunk jobs are consumed within minutes; a day covers any outage of every replica.
_MAX_AGE_SECONDS = 24 * 3600.0
_DUPLICATE_WINDOW_SECONDS = 120.0


def chunk_consumer(settings: StageSettings) -> ConsumerSpec:
    # One chunk at a time per replica: a chunk already keeps the replica's cores busy, and
    # what one replica does not take, another does.
    return CONSUMER.spec(ack_wait_seconds=settings.ack_wait_seconds, concurrency=1)


async def ensure_chunk_stream(bus: EventBus) -> None:
    """Creates the chunk stream (work-queue retention: a chunk job is removed once acked)."""
    config = StreamConfig(
        name=CONSUMER.stream,
        subjects=list(CONSUMER.subjects),
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        max_age=_MAX_AGE_SECONDS,
        duplicate_window=_DUPLICATE_WINDOW_SECONDS,
        num_replicas=bus.stream_replicas,  # a cluster keeps chunk jobs as it keeps events
    )
    await bus.ensure_stream(config)  # waits out a leaderless cluster, as every stream does


def _version_prefix(job: events_pb2.JobContext) -> str:
    """How the names of the chunk objects of `job`'s version begin."""
    return f"chunk-v{job.version}-"


def _name(job: events_pb2.JobContext, index: int, suffix: str) -> str:
    return f"{_version_prefix(job)}{index:04d}{suffix}"


def chunk_audio_key(job: events_pb2.JobContext, index: int) -> str:
    """The chunk's audio, a processing artifact (deleted once every chunk is done)."""
    return temp_key(job.document_id, _name(job, index, ".flac"))


def chunk_result_key(job: events_pb2.JobContext, index: int) -> str:
    """By document, version and chunk index, beside the transcript it becomes part of."""
    return transcript_key(job.owner_id, job.document_id, _name(job, index, ".json"))


def chunk_failure_key(job: events_pb2.JobContext, index: int) -> str:
    """Written when a chunk is given up on, so the owner fails the job instead of waiting."""
    return transcript_key(job.owner_id, job.document_id, _name(job, index, ".failed.json"))


def chunk_results_folder(job: events_pb2.JobContext) -> str:
    """The folder of the results (and of the transcript), listed to see which are in."""
    return _folder(transcript_key(job.owner_id, job.document_id, "_"))


def chunk_object_keys(store: ObjectStore, job: events_pb2.JobContext) -> list[str]:
    """Blocking: every stored object of the chunks of `job`'s version (audio, results and
    failures), to delete when that version is dropped."""
    own = _version_prefix(job)
    folders = (_folder(temp_key(job.document_id, "_")), chunk_results_folder(job))
    return [
        info.key
        for folder in folders
        for info in store.list(folder)
        if info.key.rsplit("/", 1)[-1].startswith(own)
    ]


def _folder(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/"


class _Abandoned(Exception):
    """Raised between two decoded segments once the chunk's version went stale."""


class ChunkWorker:
    """Transcribes and diarizes one chunk and stores its result, while its document version
    is still current."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        recognizer: Transcriber,
        diarizer: Diarizer,
        versions: CurrentVersions,
    ) -> None:
        self._store = store
        self._recognizer = recognizer
        self._diarizer = diarizer
        self._versions = versions
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chunk-diarize")

    async def handle(self, event: ReceivedEvent) -> None:
        request = event.parse(events_pb2.TranscriptionChunkRequested)
        if not await self._versions.still_current(request.job, before="decoding a chunk"):
            return
        if await asyncio.to_thread(self._store.stat, request.result_key) is not None:
            return  # done before (a duplicate job, or the chunk of a retried job)
        fields = _log_fields(request)
        log.info("chunk started", extra=fields)
        started = time.perf_counter()
        try:
            data = await asyncio.to_thread(self._store.get_bytes, request.audio_key)
        except ObjectNotFound as exc:
            # The owner deletes chunk audio only once every result is in or its version
            # is dropped, or the document is gone: nothing left to do for it.
            raise PermanentError(f"chunk audio {request.audio_key} is gone") from exc
        try:
            with recognizer_failures_as_job_errors():
                async with stale_flag(self._versions, request.job) as stale:
                    result = await asyncio.to_thread(self._transcribe, request, data, stale)
        except _Abandoned:
            log.info("chunk abandoned: its version is no longer current", extra=fields)
            return
        if not await self._versions.still_current(request.job, before="storing a chunk result"):
            return
        await asyncio.to_thread(
            self._store.put_bytes, request.result_key, result.to_json(), "application/json"
        )
        log.info(
            "chunk transcribed",
            extra={**fields, "words": len(result.words), "seconds": time.perf_counter() - started},
        )

    async def gave_up(self, event: ReceivedEvent, error: Exception, permanent: bool) -> None:
        request = event.parse(events_pb2.TranscriptionChunkRequested)
        # Deleting a document deletes its chunk audio too: no failure for nobody to read.
        if not await self._versions.still_current(request.job, before="storing a chunk failure"):
            return
        failure = json.dumps({"reason": str(error), "permanent": permanent}).encode()
        key = chunk_failure_key(request.job, request.chunk_index)
        await asyncio.to_thread(self._store.put_bytes, key, failure, "application/json")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _transcribe(
        self,
        request: events_pb2.TranscriptionChunkRequested,
        data: bytes,
        stale: threading.Event,
    ) -> ChunkResult:
        """Blocking: recognition and diarization of the chunk's audio side by side, as the
        windowed transcriber does for a window; raises _Abandoned once `stale` is set."""

        def stop_if_stale(_fraction: float) -> None:
            if stale.is_set():
                raise _Abandoned

        samples = decode_audio(io.BytesIO(data))
        stop_if_stale(0.0)
        job = request.job
        voiced = self._pool.submit(self._diarize, samples, job, request.chunk_index == 0)
        options = transcription_options(job, language=request.language)
        try:
            transcript = self._recognizer.transcribe(samples, options, stop_if_stale)
        except _Abandoned:
            # Diarization cannot be interrupted: let it end before the next chunk starts.
            voiced.cancel()
            wait([voiced])
            raise
        try:
            turns = voiced.result()
        except Exception:
            log.warning(
                "chunk diarization failed; its words take the nearest speaker", exc_info=True
            )
            turns = VoicedTurns([], {})
        return ChunkResult.answering(
            request,
            language=transcript.language,
            model=transcript.model,
            words=words_in_recording_time(transcript, request.audio_offset_seconds),
            voiced=turns,
        )

    def _diarize(self, samples: Samples, job: events_pb2.JobContext, first: bool) -> VoicedTurns:
        # As for windows: the minimum is about the whole recording, so only the first
        # chunk gets it (a later chunk may hear fewer people).
        return self._diarizer.diarize_with_voices(
            samples,
            min_speakers=job.min_speakers if first else 0,
            max_speakers=job.max_speakers,
        )


def _log_fields(request: events_pb2.TranscriptionChunkRequested) -> dict[str, object]:
    return {
        "document_id": request.job.document_id,
        "version": request.job.version,
        "chunk": request.chunk_index,
        "offset": request.audio_offset_seconds,
    }


async def start_chunk_consumer(bus: EventBus, worker: ChunkWorker, settings: StageSettings) -> None:
    """Every replica takes chunks: of its own long recordings and of other replicas'."""
    await ensure_chunk_stream(bus)
    bus.start_consumer(
        chunk_consumer(settings), worker.handle, retry=settings.retry, on_gave_up=worker.gave_up
    )
