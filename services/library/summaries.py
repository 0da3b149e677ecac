"""Summary rules of the library: the summary's language, the structured summary a document
keeps, the generated title and the speaker names the summarizer suggests. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.duration_pb2 import Duration

from services.kernel.errors import FailedPrecondition, InvalidArgument
from services.library import domain
from services.library.store import DocumentRow
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

# BCP-47 as people type it: a language, then optional script / region / variant subtags.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")
MAX_LANGUAGE_TAG_LENGTH = 35
MAX_SPEAKER_NAME_LENGTH = 100


def clean_summary_language(raw: str) -> str:
    """A BCP-47 tag in its usual case (`fr`, `pt-BR`, `zh-Hant`), or empty for "the
    recording's language"."""
    tag = raw.strip().replace("_", "-")
    if not tag:
        return ""
    if len(tag) > MAX_LANGUAGE_TAG_LENGTH or not LANGUAGE_TAG.fullmatch(tag):
        raise InvalidArgument(
            f"Summary language '{domain.quoted(raw)}' is not a language tag; use a BCP-47 tag "
            "such as 'en', 'fr' or 'pt-BR', or leave it empty for the recording's language.",
            reason="INVALID_SUMMARY_LANGUAGE",
        )
    primary, *rest = tag.split("-")
    subtags = [primary.lower()]
    for subtag in rest:
        if len(subtag) == 2 and subtag.isalpha():
            subtags.append(subtag.upper())  # region
        elif len(subtag) == 4 and subtag.isalpha():
            subtags.append(subtag.title())  # script
        else:
            subtags.append(subtag.lower())
    return "-".join(subtags)


def primary_language(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def needs_translation(summary_language: str, recording_language: str) -> bool:
    """True when the summary must be written in another language than the one spoken. An
    unknown recording language (detected later) cannot be compared yet: the summarizer then
    decides, and the document's summary says which language it was written in."""
    if not summary_language or not recording_language:
        return False
    return primary_language(summary_language) != primary_language(recording_language)


def refuse_translation(summary_language: str, recording_language: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"The summary cannot be written in '{summary_language}': the recording is in "
        f"'{recording_language}' and only the offline summarizer is available, which copies "
        "sentences from the transcript and cannot translate. Configure an LLM provider "
        "(LLM_BASE_URL, OPENROUTER_API_KEY or GROQ_API_KEY, or install the local model), or "
        "leave the summary language empty.",
        reason="SUMMARY_TRANSLATION_UNAVAILABLE",
        metadata={"summary_language": summary_language, "recording_language": recording_language},
    )


def recording_language(document: DocumentRow) -> str:
    """The language spoken: as asked at upload, else as detected (empty before that)."""
    return document.language or document.detected_language


def document_summary(summary: events_pb2.Summary) -> library_pb2.DocumentSummary:
    topics = []
    for topic in summary.topics:
        start = max(0.0, topic.start_seconds)
        topics.append(
            library_pb2.Topic(
                title=topic.title,
                start_offset=_duration(start),
                end_offset=_duration(max(start, topic.end_seconds)),
            )
        )
    return library_pb2.DocumentSummary(
        title=summary.title,
        text=summary.summary,
        key_points=list(summary.key_points),
        decisions=list(summary.decisions),
        action_items=[
            library_pb2.ActionItem(text=item.text, owner=item.owner, due=item.due)
            for item in summary.action_items
        ],
        topics=topics,
        language=summary.language,
        provider=summary.provider,
        model=summary.model,
        built_from_sections=summary.built_from_sections,
    )


def _duration(seconds: float) -> Duration:
    duration = Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration


def summary_to_json(summary: library_pb2.DocumentSummary) -> dict[str, Any]:
    return json_format.MessageToDict(summary, preserving_proto_field_name=True)


def summary_from_json(data: dict[str, Any] | None) -> library_pb2.DocumentSummary:
    summary = library_pb2.DocumentSummary()
    if data:
        # Fields added later are ignored by older readers, not fatal.
        json_format.ParseDict(data, summary, ignore_unknown_fields=True)
    return summary


def action_item_line(item: events_pb2.ActionItem) -> str:
    """The flat form of `Document.action_items`, kept for clients written before owners and
    due dates were fields."""
    details = [part for part in (item.owner, f"due {item.due}" if item.due else "") if part]
    return f"{item.text} ({'; '.join(details)})" if details else item.text


def generated_title(summary: events_pb2.Summary) -> str:
    """The summarizer's title as a document title: one line, at most the title limit."""
    title = " ".join(domain.strip_invisible(summary.title).split())
    if len(title) <= domain.MAX_TITLE_LENGTH:
        return title
    return title[: domain.MAX_TITLE_LENGTH - 1].rstrip() + "…"


def speaker_suggestions(summary: events_pb2.Summary) -> dict[str, str]:
    suggestions: dict[str, str] = {}
    for suggestion in summary.speaker_names:
        name = " ".join(domain.strip_invisible(suggestion.name).split())[:MAX_SPEAKER_NAME_LENGTH]
        if suggestion.speaker_id and name:
            suggestions[suggestion.speaker_id] = name
    return suggestions


def apply_summary(document: DocumentRow, summary: events_pb2.Summary) -> None:
    """Keeps what the summarizer wrote: the structured summary, its flat fields, a generated
    title (unless the user gave one) and the speaker names it suggests."""
    document.summary = summary_to_json(document_summary(summary))
    document.summary_text = summary.summary
    document.key_points = list(summary.key_points)
    document.action_items = [action_item_line(item) for item in summary.action_items]
    title = generated_title(summary)
    if title and not document.title_is_user_given:
        document.title = title
    document.speaker_suggestions = speaker_suggestions(summary)


@dataclass(frozen=True)
class SummarySettings:
    """How a version's summary is written: its language (empty = the recording's) and the
    template chosen, with the instructions it had then."""

    language: str = ""
    template_id: str = ""
    instructions: str = ""
