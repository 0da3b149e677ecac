"""What a report is made of: plain, immutable data with no knowledge of PDF or gRPC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.kernel.action_items import ActionItem
from services.kernel.language_tags import primary_subtag

ReportLanguage = Literal["en", "fr"]
SUPPORTED_LANGUAGES: tuple[ReportLanguage, ...] = ("en", "fr")


def report_language_for(code: str) -> ReportLanguage:
    """Map a BCP-47 tag (``fr``, ``fr-CA``, ``EN``, empty) to a language the report is written in.

    Languages without translated labels fall back to English rather than failing the render.
    """
    return "fr" if primary_subtag(code) == "fr" else "en"


@dataclass(frozen=True, slots=True)
class ModelsUsed:
    """What made the report, as its cover and appendix name them."""

    transcription_model: str
    summary_provider: str
    summary_model: str


@dataclass(frozen=True, slots=True)
class Topic:
    """A subject of the meeting and the stretch of the recording it took; the topics table
    links its time range to the transcript where it starts."""

    title: str
    start_seconds: float
    end_seconds: float

    def __post_init__(self) -> None:
        _check_time_range(self.start_seconds, self.end_seconds, "topic")


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    """What one speaker said from `start_seconds` to `end_seconds` of the recording."""

    start_seconds: float
    end_seconds: float
    text: str
    speaker: str = ""  # the speaker's display name; empty when nobody is named

    def __post_init__(self) -> None:
        _check_time_range(self.start_seconds, self.end_seconds, "transcript segment")


@dataclass(frozen=True, slots=True)
class ReportInput:
    title: str
    source_file_name: str
    created: dt.date  # a ``datetime`` also shows the time of day
    duration_seconds: float
    language: ReportLanguage
    models: ModelsUsed
    summary: str = ""
    key_points: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    topics: tuple[Topic, ...] = ()
    segments: tuple[TranscriptSegment, ...] = ()
    # The language spoken in the recording (BCP-47), which the summary's may differ from.
    spoken_language: str = ""

    def __post_init__(self) -> None:
        if self.language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported report language {self.language!r}")
        if self.duration_seconds < 0:
            raise ValueError("duration_seconds must not be negative")


def _check_time_range(start: float, end: float, what: str) -> None:
    if start < 0 or end < start:
        raise ValueError(f"{what} time range is invalid: start={start}, end={end}")
