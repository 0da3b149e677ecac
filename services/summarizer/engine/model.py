"""Plain data exchanged with the summarization engine (no I/O, no provider details)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args

from services.kernel.language_tags import primary_subtag

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


# Called as sections of a long transcript are done: (sections done, sections in all).
ProgressCallback = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class SummaryRequest:
    """What to summarize and how.

    `language` picks the fixed wording (labels) and is the summary's language unless
    `summary_language` (BCP-47, any language a model can write) says otherwise.
    `transcript_language` is what was spoken, when known; the extractive summarizer cannot
    write in another language.
    """

    transcript_segments: list[Segment]
    language: Language
    length: SummaryLength
    summary_language: str = ""
    transcript_language: str = ""
    # Instructions of the user's summary template, given to every language model.
    instructions: str = ""
    # The day of the recording, against which "Friday" or "next week" are resolved.
    recording_date: date | None = None
    progress: ProgressCallback | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Callers convert from protobuf strings, so the Literal types alone guard nothing.
        if self.language not in LANGUAGES:
            raise ValueError(f"unsupported language {self.language!r}; expected one of {LANGUAGES}")
        if self.length not in SUMMARY_LENGTHS:
            raise ValueError(
                f"unsupported length {self.length!r}; expected one of {SUMMARY_LENGTHS}"
            )

    @property
    def output_language(self) -> str:
        """The BCP-47 language the summary is written in."""
        return self.summary_language or self.language

    def needs_translation(self, spoken: str) -> bool:
        """Whether a summary language was asked for and differs from `spoken` (the
        transcript's language as known or detected; empty when unknown)."""
        wanted = primary_language(self.summary_language)
        return bool(wanted) and bool(spoken) and primary_language(spoken) != wanted

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        return list(dict.fromkeys(s.speaker for s in self.transcript_segments if s.speaker))

    @property
    def has_speech(self) -> bool:
        return any(segment.text.strip() for segment in self.transcript_segments)

    @property
    def duration(self) -> float:
        return max((segment.end for segment in self.transcript_segments), default=0.0)


def primary_language(tag: str) -> str:
    """ "en-GB" -> "en"; BCP-47 tags compare by their primary subtag here."""
    return primary_subtag(tag)


@dataclass(frozen=True)
class ActionItem:
    text: str
    owner: str | None = None
    # ISO 8601 date when the meeting makes it clear, else the words said; empty if none.
    due: str = ""


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
    language: str
    provider: str
    model: str
    # Summarized section by section because the transcript exceeded the model's context.
    built_from_sections: bool = False
    # Names the conversation suggests, by speaker label ("Speaker 2" -> "Priya").
    speaker_names: dict[str, str] = field(default_factory=dict)
    # Caveats a reader must see, in `language` (e.g. "quoted in the original language").
    notes: list[str] = field(default_factory=list)
