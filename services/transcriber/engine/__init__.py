"""Speech-to-text for the transcriber service: local faster-whisper, optional Groq fallback.

A plain library (no gRPC, no NATS); every call blocks and is meant for a worker thread.
"""

from services.transcriber.engine.engine import EngineSettings, TranscriptionEngine
from services.transcriber.engine.errors import PermanentTranscriptionError, TranscriptionError
from services.transcriber.engine.groq_fallback import FallbackTranscriber, GroqTranscriber
from services.transcriber.engine.models import resolve_model
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Segment,
    Speaker,
    Transcript,
    TranscriptionOptions,
    Word,
    words_in_recording_time,
)

__all__ = [
    "AudioSource",
    "EngineSettings",
    "FallbackTranscriber",
    "GroqTranscriber",
    "PermanentTranscriptionError",
    "ProgressCallback",
    "Segment",
    "Speaker",
    "Transcriber",
    "Transcript",
    "TranscriptionEngine",
    "TranscriptionError",
    "TranscriptionOptions",
    "Word",
    "resolve_model",
    "words_in_recording_time",
]
