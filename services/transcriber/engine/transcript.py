"""The result of a transcription and the interface every transcriber offers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

AudioSource = str | Path | BinaryIO
ProgressCallback = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...]
    language: str
    duration: float
    model: str


class Transcriber(Protocol):
    def transcribe(
        self,
        source: AudioSource,
        language: str = "",
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Blocking; `language` is an ISO 639-1 code or "" to detect it."""
        ...


def normalize_language(language: str) -> str:
    """'EN-us' -> 'en'; '', 'auto' -> '' (detect)."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return "" if primary == "auto" else primary


def join_segments(segments: tuple[Segment, ...]) -> str:
    return " ".join(segment.text for segment in segments if segment.text)
