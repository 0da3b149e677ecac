"""What OpenAI's `POST /v1/audio/transcriptions` takes and answers, as pure functions: the
form's rules, a Transcript in the asked `response_format`, and errors in OpenAI's JSON shape
(`{"error": {"message", "type", "param", "code"}}`), so its SDKs and tools work unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.kernel.transcripts import plain_text, seconds
from speechflow.library.v1 import library_pb2


class ResponseFormat(StrEnum):
    JSON = "json"
    TEXT = "text"
    SRT = "srt"
    VTT = "vtt"
    VERBOSE_JSON = "verbose_json"


class Granularity(StrEnum):
    WORD = "word"
    SEGMENT = "segment"


MAX_PROMPT_CHARS = 2000
MAX_LANGUAGE_CHARS = 35  # BCP-47 tags are short; anything longer is not one


class OpenAIError(Exception):
    """An error answered with `status` and OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_field(param: str, message: str) -> OpenAIError:
    return OpenAIError(400, message, param=param, code="invalid_value")


@dataclass(frozen=True)
class TranscriptionRequest:
    """The form's fields once checked (the file itself travels separately)."""

    model: str
    language: str
    prompt: str
    response_format: ResponseFormat
    granularities: frozenset[Granularity]


def parse_request(
    *,
    model: str | None,
    language: str | None,
    prompt: str | None,
    response_format: str | None,
    granularities: Sequence[str],
) -> TranscriptionRequest:
    if not model or not model.strip():
        raise OpenAIError(
            400, "you must provide a model parameter", param="model", code="missing_field"
        )
    try:
        fmt = ResponseFormat((response_format or "json").strip())
    except ValueError:
        allowed = ", ".join(f.value for f in ResponseFormat)
        raise bad_field("response_format", f"response_format must be one of {allowed}.") from None
    chosen: set[Granularity] = set()
    for value in granularities:
        try:
            chosen.add(Granularity(value.strip()))
        except ValueError:
            raise bad_field(
                "timestamp_granularities[]", "timestamp_granularities[] must be word or segment."
            ) from None
    if chosen and fmt is not ResponseFormat.VERBOSE_JSON:
        raise bad_field(
            "timestamp_granularities[]",
            "timestamp_granularities[] is only supported with response_format verbose_json.",
        )
    language = (language or "").strip()
    if len(language) > MAX_LANGUAGE_CHARS or not all(c.isalnum() or c == "-" for c in language):
        raise bad_field("language", "language must be an ISO-639-1 / BCP-47 code such as 'en'.")
    prompt = (prompt or "").strip()
    if len(prompt) > MAX_PROMPT_CHARS:
        raise bad_field("prompt", f"prompt must be at most {MAX_PROMPT_CHARS} characters.")
    return TranscriptionRequest(
        model=model.strip(),
        language=language,
        prompt=prompt,
        response_format=fmt,
        granularities=frozenset(chosen) or frozenset({Granularity.SEGMENT}),
    )


def json_body(transcript: library_pb2.Transcript) -> dict[str, Any]:
    return {"text": plain_text(transcript)}


def verbose_json_body(
    transcript: library_pb2.Transcript,
    *,
    duration_seconds: float,
    language: str,
    granularities: frozenset[Granularity],
) -> dict[str, Any]:
    """OpenAI's verbose_json: `segments` and/or `words`, as `timestamp_granularities` asks."""
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": language,
        "duration": round(duration_seconds, 3),
        "text": plain_text(transcript),
    }
    if Granularity.SEGMENT in granularities:
        body["segments"] = [
            {
                "id": index,
                "seek": 0,
                "start": round(seconds(segment.start_offset), 3),
                "end": round(seconds(segment.end_offset), 3),
                "text": segment.text,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": 0.0,
                "compression_ratio": 0.0,
                "no_speech_prob": 0.0,
            }
            for index, segment in enumerate(transcript.segments)
        ]
    if Granularity.WORD in granularities:
        body["words"] = [
            {
                "word": word.text.strip(),
                "start": round(seconds(word.start_offset), 3),
                "end": round(seconds(word.end_offset), 3),
            }
            for segment in transcript.segments
            for word in segment.words
            if word.text.strip()
        ]
    return body
