"""Transcription through Groq's hosted Whisper, used when the local engine cannot finish."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import groq
import numpy as np

from services.transcriber.engine.audio import SAMPLE_RATE, Samples, decode_audio
from services.transcriber.engine.audio_chunks import ChunkTooLargeError, split_into_flac_chunks
from services.transcriber.engine.errors import PermanentTranscriptionError, TranscriptionError
from services.transcriber.engine.speakers import transcript_from_words
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Transcript,
    TranscriptionOptions,
    Word,
)

logger = logging.getLogger(__name__)

GROQ_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# Formats Groq accepts as uploaded; anything else is re-encoded to FLAC first.
_GROQ_SUFFIXES = frozenset(
    {".flac", ".mp3", ".mp4", ".mpeg", ".mpga", ".m4a", ".ogg", ".wav", ".webm"}
)
# verbose_json names the language ("English"); the rest of the system uses ISO 639-1 codes.
_LANGUAGE_CODES = {
    "arabic": "ar", "chinese": "zh", "czech": "cs", "danish": "da", "dutch": "nl",
    "english": "en", "finnish": "fi", "french": "fr", "german": "de", "greek": "el",
    "hindi": "hi", "italian": "it", "japanese": "ja", "korean": "ko", "norwegian": "no",
    "polish": "pl", "portuguese": "pt", "romanian": "ro", "russian": "ru", "spanish": "es",
    "swedish": "sv", "turkish": "tr", "ukrainian": "uk", "vietnamese": "vi",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Upload:
    name: str
    data: bytes
    offset: float
    duration: float


class GroqTranscriber(Transcriber):
    """Sends the recording to Groq's `/openai/v1/audio/transcriptions` (verbose_json).

    A file within `max_upload_bytes` in a format Groq reads goes up unchanged; anything else is
    decoded, re-encoded as 16 kHz mono FLAC and, if needed, split into several uploads whose
    segment timestamps are shifted back onto the whole recording's timeline.
    """

    # Reported as often as the local engine reports.
    progress_interval = 0.25

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        model: str = "whisper-large-v3",
        max_upload_bytes: int = GROQ_MAX_UPLOAD_BYTES,
        timeout_seconds: float = 300.0,
        max_retries: int = 2,
    ) -> None:
        self._client = groq.Groq(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=max_retries
        )
        self._model = model
        self._max_upload_bytes = max_upload_bytes

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        report(0.0)
        audio = decode_audio(source)
        duration = len(audio) / SAMPLE_RATE
        words: list[Word] = []
        detected = options.language
        for upload in self._uploads(source, audio, duration):
            # After the first chunk, pin the language so every chunk is read the same way.
            response = self._request(upload.name, upload.data, detected, options.hotwords)
            detected = detected or _language_code(response.get("language"))
            words += _words(response, upload, duration)
            report((upload.offset + upload.duration) / duration)
        return transcript_from_words(
            words, (), language=detected, duration=duration, model=f"groq:{self._model}"
        )

    def _uploads(self, source: AudioSource, audio: Samples, duration: float) -> list[_Upload]:
        if isinstance(source, str | Path):
            path = Path(source)
            if (
                path.suffix.lower() in _GROQ_SUFFIXES
                and path.stat().st_size <= self._max_upload_bytes
            ):
                return [_Upload(path.name, path.read_bytes(), 0.0, duration)]
        try:
            chunks = split_into_flac_chunks(audio, self._max_upload_bytes)
        except ChunkTooLargeError as error:
            raise TranscriptionError(f"Groq upload limit is unusable: {error}") from error
        return [
            _Upload(f"chunk-{index:04d}.flac", chunk.flac, chunk.offset, chunk.duration)
            for index, chunk in enumerate(chunks)
        ]

    def _request(self, name: str, data: bytes, language: str, hotwords: str) -> Mapping[str, Any]:
        try:
            result = self._client.audio.transcriptions.create(
                model=self._model,
                file=(name, data),
                response_format="verbose_json",
                timestamp_granularities=["word", "segment"],
                language=language or groq.omit,
                # Whisper's prompt is how hosted APIs take a vocabulary.
                prompt=hotwords.strip() or groq.omit,
            )
        except groq.APIError as error:
            raise TranscriptionError(f"Groq transcription failed: {error}") from error
        return result.model_dump()


class FallbackTranscriber(Transcriber):
    """Local first; Groq (when configured) only for failures that retrying might fix.

    A PermanentTranscriptionError is about the file itself, so Groq is not asked. Progress
    is one forward-only view across both attempts.
    """

    def __init__(self, local: Transcriber, groq_transcriber: Transcriber | None) -> None:
        self._local = local
        self._groq = groq_transcriber

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        try:
            return self._local.transcribe(source, options, report)
        except PermanentTranscriptionError:
            raise
        except TranscriptionError as error:
            if self._groq is None:
                raise
            logger.warning("local transcription failed, falling back to Groq: %s", error)
        if not isinstance(source, str | Path | np.ndarray):
            source.seek(0)
        return self._groq.transcribe(source, options, report)


def _words(response: Mapping[str, Any], upload: _Upload, length: float) -> list[Word]:
    """Words on the whole recording's timeline (a chunk's times start at its own zero).

    Groq times words when asked; a server that answers with segments only gets its segments'
    words spread evenly over each segment, so nothing said is dropped."""
    offset = upload.offset
    timed = response.get("words") or []
    if timed:
        return [
            _word(offset + float(item["start"]), offset + float(item["end"]), item["word"], length)
            for item in timed
        ]
    spans = [
        (float(item["start"]), float(item["end"]), str(item["text"]))
        for item in response.get("segments") or []
    ]
    if not spans and response.get("text"):
        spans = [(0.0, upload.duration, str(response["text"]))]
    words: list[Word] = []
    for start, end, text in spans:
        tokens = text.split()
        step = (end - start) / max(len(tokens), 1)
        for index, token in enumerate(tokens):
            begin = offset + start + index * step
            words.append(_word(begin, begin + step, token, length))
    return words


def _word(start: float, end: float, text: object, duration: float) -> Word:
    end = min(end, duration)
    token = str(text).strip()
    return Word(start=min(start, end), end=end, text=f" {token}")


def _language_code(name: object) -> str:
    text = str(name or "").strip().lower()
    return text if len(text) == 2 else _LANGUAGE_CODES.get(text, "")
