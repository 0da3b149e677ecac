"""Plain data exchanged with the summarization engine (no I/O, no provider details)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Language = Literal["en", "fr"]
SummaryLength = Literal["short", "medium", "long"]

LANGUAGES: tuple[Language, ...] = get_args(Language)
SUMMARY_LENGTHS: tuple[SummaryLength, ...] = get_args(SummaryLength)


@dataclass(frozen=True)
class Segment:
    """A piece of transcript with its position in the recording, in seconds.

    `speaker` is the display name of whoever said it; empty when the transcript tells
    nobody apart (one voice), since a name would then tell a reader nothing.
    """

    start: float
    end: float
    text: str
    speaker: str = ""

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid segment time range {self.start}..{self.end}")


@dataclass(frozen=True)
class SummaryRequest:
    transcript_segments: list[Segment]
    language: Language
    length: SummaryLength

    def __post_init__(self) -> None:
        # Callers convert from protobuf strings, so the Literal types alone guard nothing.
        if self.language not in LANGUAGES:
            raise ValueError(f"unsupported language {self.language!r}; expected one of {LANGUAGES}")
        if self.length not in SUMMARY_LENGTHS:
            raise ValueError(
                f"unsupported length {self.length!r}; expected one of {SUMMARY_LENGTHS}"
            )

    @property
    def has_speech(self) -> bool:
        return any(segment.text.strip() for segment in self.transcript_segments)

    @property
    def duration(self) -> float:
        return max((segment.end for segment in self.transcript_segments), default=0.0)


@dataclass(frozen=True)
class ActionItem:
    text: str
    owner: str | None = None


@dataclass(frozen=True)
class Topic:
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class StructuredSummary:
    title: str
    summary: str
    key_points: list[str]
    decisions: list[str]
    action_items: list[ActionItem]
    topics: list[Topic]
    language: Language
    provider: str
    model: str
    # Caveats a reader must see, in `language` (e.g. "quoted in the original language").
    notes: list[str] = field(default_factory=list)
