"""`Transcriber`: what every transcriber offers, and its public `transcribe`, written once.

An implementation (the local engine, Groq, the fallback between them, the windowed speaker
labelling, the gap filling; a test's stand-in) subclasses it and writes only `_transcribe`,
what it does with the recording. The base gives it the public signature with its defaults,
the language already normalised, and a progress callback that only moves forward and always
ends at 1.0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from typing import ClassVar

from services.transcriber.engine.progress import ThrottledProgress
from services.transcriber.engine.transcript import (
    DEFAULT_OPTIONS,
    AudioSource,
    ProgressCallback,
    Transcript,
    TranscriptionOptions,
    normalize_language,
)


class Transcriber(ABC):
    """Turns a recording into a `Transcript`; implementations write `_transcribe`."""

    # Least seconds between two progress reports passed on: a decoder reporting every
    # decoded piece sets one; a transcriber that wraps others passes on each step they take.
    progress_interval: ClassVar[float] = 0.0

    def transcribe(
        self,
        source: AudioSource,
        options: TranscriptionOptions = DEFAULT_OPTIONS,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Blocking; `options.language` is an ISO 639-1 code or "" to detect it. Raises
        PermanentTranscriptionError for unusable input, else TranscriptionError for failures
        worth retrying."""
        progress = ThrottledProgress(on_progress, min_interval=self.progress_interval)
        options = replace(options, language=normalize_language(options.language))
        transcript = self._transcribe(source, options, progress.report)
        progress.finish()
        return transcript

    @abstractmethod
    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        """The transcript of `source`; `options.language` is normalised ("" = detect it) and
        `report` takes fractions of the work done (forward only; 1.0 is reported after)."""
