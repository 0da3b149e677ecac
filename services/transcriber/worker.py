"""Transcription jobs: original from storage -> faster-whisper (Groq as fallback) ->
transcript in storage -> `transcription.completed`, with progress on the way."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

from google.protobuf import json_format

from services.kernel.jetstream import EventBus, PermanentError, ReceivedEvent, TransientError
from services.kernel.metrics import TRANSCRIPTION_REALTIME_FACTOR
from services.kernel.stage import event_id, job_context, transcript_object_key
from services.kernel.storage import ObjectStore
from services.transcriber.engine import (
    PermanentTranscriptionError,
    Transcriber,
    Transcript,
    TranscriptionError,
)
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.transcriber")

PROGRESSED = "speechflow.transcriber.v1.transcription.progressed"
COMPLETED = "speechflow.transcriber.v1.transcription.completed"
START, END = 10, 50  # transcription spans 10 -> 50 % of a document's progress


def transcript_message(transcript: Transcript) -> events_pb2.Transcript:
    return events_pb2.Transcript(
        segments=[
            events_pb2.Segment(start_seconds=s.start, end_seconds=s.end, text=s.text)
            for s in transcript.segments
        ],
        text=transcript.text,
        language=transcript.language,
        duration_seconds=transcript.duration,
        model=transcript.model,
    )


class TranscriptionWorker:
    def __init__(
        self, *, bus: EventBus, store: ObjectStore, transcriber: Transcriber, spool: Path
    ) -> None:
        self._bus = bus
        self._store = store
        self._transcriber = transcriber
        self._spool = spool
        spool.mkdir(parents=True, exist_ok=True)

    async def handle(self, event: ReceivedEvent) -> None:
        job = job_context(event)
        key = transcript_object_key(job)
        existing = await asyncio.to_thread(self._store.stat, key)
        if existing is not None:
            # Done before a crash or redelivery: reuse it, publish (deduplicated) again.
            stored = await asyncio.to_thread(self._store.get_bytes, key)
            transcript = json_format.Parse(stored, events_pb2.Transcript())
        else:
            transcript = await self._transcribe(job)
            data = json_format.MessageToJson(transcript).encode()
            await asyncio.to_thread(self._store.put_bytes, key, data, "application/json")
        await self._bus.publish(
            COMPLETED,
            events_pb2.TranscriptionCompleted(
                job=job,
                transcript_key=key,
                text=transcript.text,
                detected_language=transcript.language,
                duration_seconds=transcript.duration_seconds,
                model=transcript.model,
            ),
            event_id=event_id(job, "transcribed"),
        )

    async def _transcribe(self, job: events_pb2.JobContext) -> events_pb2.Transcript:
        loop = asyncio.get_running_loop()
        last = START

        def on_progress(fraction: float) -> None:
            nonlocal last
            progress = START + int((END - START) * max(0.0, min(1.0, fraction)))
            if progress > last and progress < END:
                last = progress
                asyncio.run_coroutine_threadsafe(self._report(job, progress), loop)

        with tempfile.NamedTemporaryFile(dir=self._spool, suffix=".media") as local:
            await asyncio.to_thread(_download, self._store, job.original_key, Path(local.name))
            started = time.perf_counter()
            try:
                result = await asyncio.to_thread(
                    self._transcriber.transcribe, Path(local.name), job.language, on_progress
                )
            except PermanentTranscriptionError as exc:
                raise PermanentError(str(exc)) from exc
            except TranscriptionError as exc:
                raise TransientError(str(exc)) from exc
        if result.duration > 0:
            TRANSCRIPTION_REALTIME_FACTOR.labels(result.model).observe(
                result.duration / max(time.perf_counter() - started, 1e-6)
            )
        log.info(
            "transcribed",
            extra={
                "document_id": job.document_id,
                "seconds": result.duration,
                "model": result.model,
            },
        )
        return transcript_message(result)

    async def _report(self, job: events_pb2.JobContext, progress: int) -> None:
        try:
            await self._bus.publish(
                PROGRESSED,
                events_pb2.ProgressReported(
                    job=job,
                    stage=library_pb2.STAGE_TRANSCRIPTION,
                    progress=progress,
                    message=f"Transcribing ({progress - START} of {END - START})",
                ),
                event_id=event_id(job, f"progress-{progress}"),
            )
        except Exception:  # progress is best effort; the job goes on
            log.warning("could not publish progress", exc_info=True)


def _download(store: ObjectStore, key: str, path: Path) -> None:
    with path.open("wb") as out:
        for chunk in store.iter_chunks(key):
            out.write(chunk)
