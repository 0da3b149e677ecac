"""What a transcription job asks of the recognizer, for the whole recording or one chunk."""

from __future__ import annotations

from services.transcriber.engine import TranscriptionOptions
from speechflow.events.v1 import events_pb2


def transcription_options(
    job: events_pb2.JobContext, *, language: str | None = None
) -> TranscriptionOptions:
    """The job's options; `language` replaces the job's (a chunk is read in the language
    detected once for the whole recording)."""
    return TranscriptionOptions(
        language=job.language if language is None else language,
        hotwords=job.hotwords,
        min_speakers=job.min_speakers,
        max_speakers=job.max_speakers,
    )
