"""Library rules: validation and names. No I/O, no gRPC (refusals are domain errors)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sized
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

# The lifecycle's names, declared in the pure model and kept importable from here.
from services.library.lifecycle.errors import InvalidInput
from services.library.lifecycle.model import (
    DONE_PROGRESS,
    STAGE_START_PROGRESS,
    STAGE_WORDS,
    TRANSCRIPTION_END_PROGRESS,
    JobStatus,
    NotificationState,
    Stage,
    Status,
)

__all__ = [
    "DONE_PROGRESS",
    "STAGE_START_PROGRESS",
    "STAGE_WORDS",
    "TRANSCRIPTION_END_PROGRESS",
    "JobStatus",
    "NotificationState",
    "Stage",
    "Status",
]


class SummaryLength(IntEnum):
    SHORT = 1
    MEDIUM = 2
    LONG = 3


SUPPORTED_LANGUAGES = ("en", "fr")
MAX_TITLE_LENGTH = 200
MAX_FOLDER_NAME_LENGTH = 100
MAX_FILE_NAME_LENGTH = 200
MAX_QUERY_LENGTH = 200
# Ids are UUIDs here; the form is looser so a mistyped id is "not found", but bounded so a
# megabyte of "id" is refused before it reaches a lookup, a lock or an error message.
MAX_ID_LENGTH = 64
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
# What quoting user input in an error message keeps of it.
MAX_QUOTED_LENGTH = 40
# Bidirectional embeddings, overrides and isolates (and the implicit marks): they make
# "evil\u202etxt.exe" display as "evilexe.txt" in names shown to people.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


SizedValue = TypeVar("SizedValue", bound=Sized)


@dataclass(frozen=True)
class SizeRule:
    """A value that must not be empty and has at most `limit` characters (or items), with
    what to tell the caller when it breaks either; the messages may name `{fields}` that
    `check` is given."""

    limit: int
    empty: str
    empty_reason: str
    too_long: str
    too_long_reason: str

    def check(self, value: SizedValue, **fields: object) -> SizedValue:
        if not len(value):
            raise InvalidInput(self.empty.format(**fields), reason=self.empty_reason)
        if len(value) > self.limit:
            raise InvalidInput(self.too_long.format(**fields), reason=self.too_long_reason)
        return value


FOLDER_NAME = SizeRule(
    MAX_FOLDER_NAME_LENGTH,
    "Give the folder a name.",
    "FOLDER_NAME_REQUIRED",
    f"Keep folder names under {MAX_FOLDER_NAME_LENGTH} characters.",
    "FOLDER_NAME_TOO_LONG",
)


def one_line(text: str) -> str:
    """Visible characters only, runs of white space as one space, trimmed."""
    return " ".join(strip_invisible(text).split())


def check_id(value: str, field: str) -> str:
    """The id, trimmed; INVALID_ARGUMENT if it is empty or cannot be an id."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{field} is required.", reason="ID_REQUIRED", metadata={"field": field})
    if len(cleaned) > MAX_ID_LENGTH or not ID_PATTERN.fullmatch(cleaned):
        raise InvalidInput(
            f"{field} is not a valid id (ids are at most {MAX_ID_LENGTH} letters, digits, "
            "'-' or '_').",
            reason="INVALID_ID",
            metadata={"field": field},
        )
    return cleaned


def quoted(value: str) -> str:
    """User input as an error message may show it: short, one line, nothing hidden."""
    shown = strip_invisible(value).replace("\n", " ").replace("\r", " ")
    return shown if len(shown) <= MAX_QUOTED_LENGTH else shown[: MAX_QUOTED_LENGTH - 1] + "…"


def strip_invisible(text: str) -> str:
    """Drops control characters (NUL, ESC, ...; tabs and newlines become spaces) and bidi
    controls, which could hide or reorder what a person sees in a title or name."""
    kept: list[str] = []
    for ch in text:
        if ch in BIDI_CONTROLS:
            continue
        if unicodedata.category(ch) == "Cc":
            if ch.isspace():
                kept.append(" ")
            continue
        kept.append(ch)
    return "".join(kept)


def check_language(language: str, *, allow_detect: bool) -> str:
    cleaned = language.strip().lower()
    if cleaned == "" and allow_detect:
        return ""
    if cleaned not in SUPPORTED_LANGUAGES:
        choices = "'en' or 'fr'" + (" (or empty to detect)" if allow_detect else "")
        raise InvalidInput(
            f"Language '{quoted(language)}' is not supported; use {choices}.",
            reason="UNSUPPORTED_LANGUAGE",
        )
    return cleaned


def check_summary_length(value: int, *, default: SummaryLength | None) -> SummaryLength:
    if value == 0 and default is not None:
        return default
    try:
        return SummaryLength(value)
    except ValueError as exc:
        raise InvalidInput(
            "Choose a summary length: SHORT, MEDIUM or LONG.", reason="INVALID_SUMMARY_LENGTH"
        ) from exc


def sanitize_file_name(raw: str) -> str:
    """Keeps the last path component, drops control and path characters: `../../etc/passwd`
    becomes `passwd`; an empty result is rejected."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").split("/")[-1]
    # Category C covers control, format (bidi overrides among them) and unassigned characters.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[<>:\"|?*]", "_", name).strip().lstrip(".").strip()
    if not name:
        raise InvalidInput(
            "Give the file a name (for example talk.mp3).", reason="FILE_NAME_REQUIRED"
        )
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_FILE_NAME_LENGTH - len(ext) - 1] + dot + ext) if dot else name[:200]
    return name


def clean_title(raw: str, fallback: str) -> str:
    title = one_line(raw)
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(
            f"Keep the title under {MAX_TITLE_LENGTH} characters.", reason="TITLE_TOO_LONG"
        )
    if title:
        return title
    stem = fallback.rsplit(".", 1)[0] if "." in fallback else fallback
    return stem.replace("_", " ").strip() or fallback


def clean_folder_name(raw: str) -> str:
    return FOLDER_NAME.check(one_line(raw))


def human_bytes(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size = size / 1000  # type: ignore[assignment]
    return f"{size} bytes"


MAX_HOTWORDS_LENGTH = 500
MAX_VOCABULARY_TERMS = 100
MAX_VOCABULARY_TERM_LENGTH = 60
MAX_SPEAKERS = 20


def clean_hotwords(raw: str) -> str:
    """One line of names and terms; Whisper reads them as a prompt of at most ~220 tokens,
    so a longer list would be cut silently by the model: refuse it instead."""
    hotwords = " ".join(raw.split())
    if len(hotwords) > MAX_HOTWORDS_LENGTH:
        raise InvalidInput(
            f"Keep hotwords under {MAX_HOTWORDS_LENGTH} characters (names and terms, not prose).",
            reason="HOTWORDS_TOO_LONG",
        )
    return hotwords


def clean_vocabulary(terms: list[str]) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively), order kept."""
    cleaned: dict[str, str] = {}
    for term in terms:
        text = " ".join(term.split())
        if not text:
            continue
        if len(text) > MAX_VOCABULARY_TERM_LENGTH:
            raise InvalidInput(
                f"Vocabulary terms are names or short phrases: keep each under "
                f"{MAX_VOCABULARY_TERM_LENGTH} characters.",
                reason="VOCABULARY_TERM_TOO_LONG",
            )
        cleaned.setdefault(text.casefold(), text)
    if len(cleaned) > MAX_VOCABULARY_TERMS:
        raise InvalidInput(
            f"Keep the vocabulary to {MAX_VOCABULARY_TERMS} terms or fewer.",
            reason="VOCABULARY_TOO_LONG",
        )
    return list(cleaned.values())


def merged_hotwords(upload_hotwords: str, vocabulary: list[str]) -> str:
    """The upload's own hotwords first (they are the most specific), then the user's terms
    not already named, cut at the length the recognizer can use."""
    merged = upload_hotwords
    for term in vocabulary:
        if term.casefold() in merged.casefold():
            continue
        candidate = f"{merged}, {term}" if merged else term
        if len(candidate) > MAX_HOTWORDS_LENGTH:
            break
        merged = candidate
    return merged


def check_speaker_bounds(min_speakers: int, max_speakers: int) -> tuple[int, int]:
    for name, value in (("min_speakers", min_speakers), ("max_speakers", max_speakers)):
        if not 0 <= value <= MAX_SPEAKERS:
            raise InvalidInput(
                f"{name} must be between 0 (automatic) and {MAX_SPEAKERS}.",
                reason="INVALID_SPEAKER_COUNT",
                metadata={"field": name},
            )
    if min_speakers and max_speakers and min_speakers > max_speakers:
        raise InvalidInput(
            "min_speakers cannot be larger than max_speakers.", reason="INVALID_SPEAKER_COUNT"
        )
    return min_speakers, max_speakers
