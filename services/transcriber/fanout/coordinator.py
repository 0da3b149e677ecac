"""The owner's side of fan-out: plan, publish, wait, merge.

The replica whose stage consumer took the job cuts the recording (plan.py), stores each
chunk's audio and publishes its chunk job as soon as it is cut, so other replicas start
while the rest is still being decoded. It then waits — its own chunk consumer takes chunks
too — until every chunk's result is stored, reporting the share of audio done as progress,
and merges them. A retried job finds the results stored by the earlier attempt and publishes
only the missing chunks. The owner's own job stays alive meanwhile through the kernel's
heartbeat; if the owner crashes, its job is redelivered and the next owner reuses every
chunk finished so far.

If the job's version is superseded or its document deleted meanwhile (services/kernel/
versions.py), the owner stops cutting and waiting, deletes the chunk objects of that version
and raises `Superseded`: the job is dropped as late work, as the chunk workers drop its chunks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Unpack

import numpy as np

from services.kernel.jetstream import PermanentError, TransientError
from services.kernel.stage import StageWorker, StageWorkerParts, event_id
from services.kernel.versions import stale_flag
from services.transcriber.engine.audio_chunks import encode_flac
from services.transcriber.engine.transcript import (
    ProgressCallback,
    Samples,
    Transcript,
    normalize_language,
)
from services.transcriber.engine.windows import AudioWindows
from services.transcriber.fanout.chunks import (
    CHUNK_REQUESTED,
    chunk_audio_key,
    chunk_failure_key,
    chunk_object_keys,
    chunk_result_key,
    chunk_results_folder,
)
from services.transcriber.fanout.merge import merge_chunks
from services.transcriber.fanout.plan import PlannedChunk, plan_chunks
from services.transcriber.fanout.result import ChunkResult
from services.transcriber.jobs import recognizer_failures_as_job_errors
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.transcriber.fanout")

POLL_SECONDS = 0.5
# No chunk finishing for this long means the chunk jobs were lost (e.g. the stream was
# purged): the job fails over to a retry, which publishes the missing chunks again.
STALL_SECONDS = 1800.0
_PUBLISH_TIMEOUT_SECONDS = 60.0


class Superseded(Exception):
    """The job's version went stale while it was fanned out: there is nothing to store."""


@dataclass(frozen=True, slots=True)
class FanOutSettings:
    threshold_seconds: float  # longer recordings fan out; 0 = never
    chunk_seconds: float
    overlap_seconds: float


@dataclass(frozen=True, slots=True)
class _Pending:
    """What the owner waits for: the result (or the failure) of the chunk job `request`."""

    request: events_pb2.TranscriptionChunkRequested
    failure_key: str

    @property
    def index(self) -> int:
        return self.request.chunk_index

    @property
    def keep_seconds(self) -> float:
        return self.request.keep_end_seconds - self.request.keep_start_seconds


class FanOut(StageWorker):
    """The owner's part of a transcription job: it publishes chunk jobs on the stage's bus,
    keeps their audio and results in the stage's store and stops once the version is stale."""

    def __init__(
        self,
        *,
        settings: FanOutSettings,
        detect_language: Callable[[Samples], str],
        **parts: Unpack[StageWorkerParts],
    ) -> None:
        super().__init__(**parts)
        self._settings = settings
        self._detect_language = detect_language

    async def transcribe(
        self, job: events_pb2.JobContext, media: Path, on_progress: ProgressCallback
    ) -> Transcript | None:
        """The transcript, from chunks done by any replica; None if the recording is not
        longer than the threshold (the caller transcribes it whole, as before). Raises
        Superseded once the job's version is no longer current."""
        if self._settings.threshold_seconds <= 0:
            return None
        try:
            async with stale_flag(self._versions, job) as stale:
                return await self._fan_out(job, media, on_progress, stale)
        except Superseded:
            keys = await asyncio.to_thread(chunk_object_keys, self._store, job)
            await asyncio.to_thread(self._delete, keys)
            log.info(
                "fan-out dropped: its version is no longer current",
                extra={
                    "document_id": job.document_id,
                    "version": job.version,
                    "deleted": len(keys),
                },
            )
            raise

    async def _fan_out(
        self,
        job: events_pb2.JobContext,
        media: Path,
        on_progress: ProgressCallback,
        stale: threading.Event,
    ) -> Transcript | None:
        loop = asyncio.get_running_loop()
        run = uuid.uuid4().hex[:12]
        with recognizer_failures_as_job_errors():
            planned = await asyncio.to_thread(self._plan_and_publish, job, media, loop, run, stale)
        if planned is None:
            return None
        log.info(
            "recording fanned out",
            extra={"document_id": job.document_id, "chunks": len(planned), "run": run},
        )
        results = await self._wait(job, planned, on_progress, stale)
        transcript = await asyncio.to_thread(
            merge_chunks,
            results,
            self._settings.overlap_seconds,
            min_speakers=job.min_speakers,
            max_speakers=job.max_speakers,
        )
        # Every result is in: the chunks' audio is no longer needed. The results stay beside
        # the transcript (a few hundred KB for hours of audio) until the document is deleted,
        # so a transcription asked for again reuses them.
        await asyncio.to_thread(self._delete, [p.request.audio_key for p in planned])
        return transcript

    def _plan_and_publish(
        self,
        job: events_pb2.JobContext,
        media: Path,
        loop: asyncio.AbstractEventLoop,
        run: str,
        stale: threading.Event,
    ) -> list[_Pending] | None:
        """Blocking (a worker thread): cut, store and publish, one chunk at a time, until
        the job's version goes stale."""
        settings = self._settings
        with AudioWindows(media, settings.chunk_seconds) as windows:
            length = windows.estimated_seconds or job.duration_seconds
            if length <= settings.threshold_seconds:
                return None
            language = normalize_language(job.language)
            planned: list[_Pending] = []
            for chunk in plan_chunks(windows, settings.overlap_seconds):
                if stale.is_set():
                    raise Superseded
                if not language:
                    # Once, for the whole recording: every chunk is read by the same model.
                    language = normalize_language(self._detect_language(chunk.samples))
                planned.append(self._publish(job, chunk, language, loop, run))
        return planned

    def _publish(
        self,
        job: events_pb2.JobContext,
        chunk: PlannedChunk,
        language: str,
        loop: asyncio.AbstractEventLoop,
        run: str,
    ) -> _Pending:
        request = events_pb2.TranscriptionChunkRequested(
            job=job,
            chunk_index=chunk.index,
            audio_key=chunk_audio_key(job, chunk.index),
            result_key=chunk_result_key(job, chunk.index),
            audio_offset_seconds=chunk.audio_offset,
            keep_start_seconds=chunk.keep_start,
            keep_end_seconds=chunk.keep_end,
            language=language,
        )
        pending = _Pending(request, failure_key=chunk_failure_key(job, chunk.index))
        self._store.delete(pending.failure_key)  # an earlier attempt's; this one retries it
        if self._reusable(pending):
            return pending
        pcm = (np.clip(chunk.samples, -1.0, 1.0) * 32767).astype(np.int16)
        self._store.put_bytes(request.audio_key, encode_flac(pcm), "audio/flac")
        # Per run: a retry must not be dropped as a duplicate of a chunk job that failed.
        published = self._bus.publish(
            CHUNK_REQUESTED, request, event_id=event_id(job, f"chunk-{chunk.index}-{run}")
        )
        asyncio.run_coroutine_threadsafe(published, loop).result(_PUBLISH_TIMEOUT_SECONDS)
        return pending

    def _reusable(self, pending: _Pending) -> bool:
        """A result of an earlier attempt counts if it was cut where this plan cuts (the
        chunk settings may have changed in between)."""
        result_key = pending.request.result_key
        if self._store.stat(result_key) is None:
            return False
        stored = ChunkResult.from_json(self._store.get_bytes(result_key))
        if _same_span(stored, pending.request):
            return True
        self._store.delete(result_key)
        return False

    async def _wait(
        self,
        job: events_pb2.JobContext,
        planned: list[_Pending],
        on_progress: ProgressCallback,
        stale: threading.Event,
    ) -> list[ChunkResult]:
        total = sum(p.keep_seconds for p in planned) or 1.0
        waiting = {p.index: p for p in planned}
        results: dict[int, ChunkResult] = {}
        last_change = time.monotonic()
        while waiting:
            if stale.is_set():
                raise Superseded
            found = await asyncio.to_thread(self._collect, job, waiting)
            if found:
                last_change = time.monotonic()
                for result in found:
                    results[result.index] = result
                    del waiting[result.index]
                done = sum(r.keep_end - r.keep_start for r in results.values())
                on_progress(done / total)
            elif time.monotonic() - last_change > STALL_SECONDS:
                raise TransientError(f"no chunk finished in {STALL_SECONDS:.0f} s")
            if waiting:
                await asyncio.sleep(POLL_SECONDS)
        return [results[p.index] for p in planned]

    def _collect(
        self, job: events_pb2.JobContext, waiting: dict[int, _Pending]
    ) -> list[ChunkResult]:
        """Blocking: the results (newly) stored, found with one listing of the folder."""
        present = {info.key for info in self._store.list(chunk_results_folder(job))}
        found: list[ChunkResult] = []
        for pending in waiting.values():
            if pending.failure_key in present:
                failure = json.loads(self._store.get_bytes(pending.failure_key))
                reason = f"chunk {pending.index + 1}: {failure.get('reason', 'failed')}"
                if failure.get("permanent"):
                    raise PermanentError(reason)
                raise TransientError(reason)
            if pending.request.result_key in present:
                result = ChunkResult.from_json(self._store.get_bytes(pending.request.result_key))
                if _same_span(result, pending.request):
                    found.append(result)
        return found

    def _delete(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self._store.delete(key)
            except Exception:
                log.warning("could not delete a chunk object", extra={"key": key}, exc_info=True)


def _same_span(result: ChunkResult, request: events_pb2.TranscriptionChunkRequested) -> bool:
    """Whether `result` was cut where `request` asks."""
    return (
        abs(result.keep_start - request.keep_start_seconds) < 1e-3
        and abs(result.keep_end - request.keep_end_seconds) < 1e-3
    )
