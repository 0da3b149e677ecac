"""Transcription jobs: original from storage -> faster-whisper (Groq as fallback) ->
transcript in storage -> `transcription.completed`, with progress on the way."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Unpack

from services.kernel import catalogue
from services.kernel.jetstream import ReceivedEvent
from services.kernel.metrics import TRANSCRIPTION_REALTIME_FACTOR
from services.kernel.stage import (
    StageWorker,
    StageWorkerParts,
    event_id,
    job_context,
    report_progress,
    transcript_object_key,
)
from services.kernel.storage import ObjectStore
from services.kernel.transcripts import (
    duration,
    first_revision,
    parse_transcript,
    plain_text,
    segment_message,
    serialize_transcript,
)
from services.transcriber.engine import Transcriber, Transcript
from services.transcriber.fanout.coordinator import FanOut, Superseded
from services.transcriber.jobs import recognizer_failures_as_job_errors, transcription_options
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.transcriber")

START, END = catalogue.progress_span(catalogue.TRANSCRIBER)


def transcript_message(transcript: Transcript) -> library_pb2.Transcript:
    """The stored form: what GetTranscript serves and every later stage reads."""
    return first_revision(
        [
            segment_message(
                segment.start,
                segment.end,
                segment.text,
                segment.speaker_id,
                [
                    library_pb2.TranscriptWord(
                        start_offset=duration(word.start),
                        end_offset=duration(word.end),
                        text=word.text,
                        probability=word.probability,
                    )
                    for word in segment.words
                ],
            )
            for segment in transcript.segments
        ],
        [
            library_pb2.Speaker(id=speaker.id, display_name=speaker.display_name)
            for speaker in transcript.speakers
        ],
        language=transcript.language,
        model=transcript.model,
        duration_seconds=transcript.duration,
    )


class TranscriptionWorker(StageWorker):
    def __init__(
        self,
        *,
        transcriber: Transcriber,
        spool: Path,
        fanout: FanOut | None = None,
        **parts: Unpack[StageWorkerParts],
    ) -> None:
        super().__init__(**parts)
        self._fanout = fanout
        self._transcriber = transcriber
        self._spool = spool
        spool.mkdir(parents=True, exist_ok=True)

    async def handle(self, event: ReceivedEvent) -> None:
        job = job_context(event)
        key = transcript_object_key(job)
        stored = await self._stored(key)
        if stored is not None:
            # Done before a crash or redelivery: reuse it, publish (deduplicated) again.
            transcript = parse_transcript(stored)
        else:
            try:
                transcript = await self._transcribe(job)
            except Superseded:
                return  # late work, dropped (fanout/ deleted the version's chunks)
            if not await self._versions.still_current(job, before="storing the transcript"):
                return
            data = serialize_transcript(transcript)
            await asyncio.to_thread(self._store.put_bytes, key, data, "application/json")
        await self._bus.publish(
            catalogue.TRANSCRIPTION_COMPLETED,
            events_pb2.TranscriptionCompleted(
                job=job,
                transcript_key=key,
                text=plain_text(transcript),
                detected_language=transcript.language,
                duration_seconds=transcript.duration.ToNanoseconds() / 1e9,
                model=transcript.model,
                speaker_count=len(transcript.speakers),
            ),
            event_id=event_id(job, "transcribed"),
        )

    async def _transcribe(self, job: events_pb2.JobContext) -> library_pb2.Transcript:
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
            with recognizer_failures_as_job_errors():
                # A long recording is cut into chunks that every replica takes (fanout/).
                result = (
                    await self._fanout.transcribe(job, Path(local.name), on_progress)
                    if self._fanout is not None
                    else None
                )
                if result is None:
                    result = await asyncio.to_thread(
                        self._transcriber.transcribe,
                        Path(local.name),
                        transcription_options(job),
                        on_progress,
                    )
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
                "speakers": len(result.speakers),
            },
        )
        return transcript_message(result)

    async def _report(self, job: events_pb2.JobContext, progress: int) -> None:
        await report_progress(
            self._bus,
            catalogue.TRANSCRIBER,
            job,
            progress,
            f"Transcribing ({progress - START} of {END - START})",
            what=f"progress-{progress}",
        )


def _download(store: ObjectStore, key: str, path: Path) -> None:
    with path.open("wb") as out:
        for chunk in store.iter_chunks(key):
            out.write(chunk)
