"""How a transcription job meets the recognizer: the options it asks for (for the whole
recording or one chunk), and the recognizer's failures as the stage runtime's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.kernel.jetstream import PermanentError, TransientError
from services.transcriber.engine import (
    PermanentTranscriptionError,
    TranscriptionError,
    TranscriptionOptions,
)
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


@contextmanager
def recognizer_failures_as_job_errors() -> Iterator[None]:
    """A recording the recognizer can never read fails the job at once (PermanentError);
    any other recognizer failure is retried with backoff (TransientError)."""
    try:
        yield
    except PermanentTranscriptionError as exc:
        raise PermanentError(str(exc)) from exc
    except TranscriptionError as exc:
        raise TransientError(str(exc)) from exc
