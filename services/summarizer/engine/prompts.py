"""Instructions given to language models for each step of a summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.summarizer.engine.chunking import transcript_line
from services.summarizer.engine.commitments import (
    COMMITMENTS_JSON_SCHEMA,
    commitments_system_prompt,
    numbered_transcript,
)
from services.summarizer.engine.llm_output import SUMMARY_JSON_SCHEMA
from services.summarizer.engine.model import (
    Segment,
    SummaryLength,
    SummaryRequest,
    primary_language,
)

LENGTH_GUIDE: dict[SummaryLength, str] = {
    "short": "a summary of one paragraph of about 3 sentences and 3 to 5 key points",
    "medium": "a summary of 6 to 8 sentences and 5 to 8 key points",
    "long": "a summary of 12 to 15 sentences in 2 to 4 paragraphs and 8 to 12 key points",
}


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    # The JSON schema the answer follows, for models constrained by it (grammar); None for
    # the summary's own (SUMMARY_JSON_SCHEMA).
    schema: dict[str, Any] | None = field(default=None, compare=False)
    schema_name: str = "meeting_summary"


# Names models understand better than bare BCP-47 codes; any other code is passed as is.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "ru": "Russian",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "ar": "Arabic",
    "hi": "Hindi",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
}


def language_name(tag: str) -> str:
    name = LANGUAGE_NAMES.get(primary_language(tag))
    return name if name else f"the language with BCP-47 code {tag!r}"


def _system(request: SummaryRequest, task: str, schema_in_prompt: bool = True) -> str:
    lines = [
        "You summarize meeting transcripts for the people who attended.",
        task,
        f"Write every text value in {language_name(request.output_language)}, translating "
        "from the transcript if needed.",
        "Transcript lines start with [start-end] times in seconds; "
        "give topic times in seconds too.",
        "When the transcript tells speakers apart, the times are followed by the speaker's "
        'name or label and a colon ("Speaker 2: I will send the budget").',
        "Leave out greetings, small talk (weekends, weather, sport) and remarks about the "
        "meeting itself.",
        "List only decisions that were actually made and action items that someone actually "
        "took on or was given; use empty lists when there are none. An action item's owner is "
        "the person's name as spoken, or, when a speaker takes it on themselves (\"I will "
        '…", "I\'ll …", "let me …"), that speaker\'s label or name; null when nobody is '
        'known. Its due is when it is due in the words said ("Friday", "March 3"), '
        "null when nobody said.",
        "speaker_names: for each speaker label whose real name the talk reveals (an "
        'introduction, "thanks, Daniel", "Priya, where are we" answered by the next '
        "speaker), the label and the name; an empty list when none does.",
        "Never invent facts, names or dates.",
    ]
    if request.instructions.strip():
        lines.append(f"The user's instructions for this summary: {request.instructions.strip()}")
    if schema_in_prompt:
        lines.append(
            "Reply with a single JSON object and nothing else, following this JSON schema:"
        )
        lines.append(json.dumps(SUMMARY_JSON_SCHEMA))
    else:
        lines.append(
            "Reply with a single JSON object with the keys title, summary, key_points, "
            "decisions, action_items (text, owner, due), topics (title, start, end) and "
            "speaker_names (speaker, name)."
        )
    return "\n".join(lines)


def whole_transcript_prompt(
    request: SummaryRequest, segments: Sequence[Segment], schema_in_prompt: bool = True
) -> Prompt:
    task = f"Write {LENGTH_GUIDE[request.length]}, plus decisions, action items and topics."
    return Prompt(_system(request, task, schema_in_prompt), _transcript(segments))


def chunk_prompt(
    request: SummaryRequest,
    segments: Sequence[Segment],
    part: int,
    parts: int,
    schema_in_prompt: bool = True,
) -> Prompt:
    task = (
        f"This is part {part} of {parts} of a long meeting; the parts will be merged later. "
        "Summarize only this part in detail: keep every decision, action item and topic."
    )
    return Prompt(_system(request, task, schema_in_prompt), _transcript(segments))


def merge_prompt(
    request: SummaryRequest,
    partial_summaries: Sequence[str],
    final: bool,
    schema_in_prompt: bool = True,
) -> Prompt:
    if final:
        task = (
            "The input holds JSON summaries of consecutive parts of one meeting. Merge them into "
            f"one summary of the whole meeting: {LENGTH_GUIDE[request.length]}. Keep every "
            "decision and action item once, and the topics in chronological order."
        )
    else:
        task = (
            "The input holds JSON summaries of consecutive parts of one meeting. Merge them into "
            "one detailed summary of this stretch; it will be merged again with others. Keep "
            "every decision, action item and topic."
        )
    numbered = "\n\n".join(
        f"Part {number}:\n{summary}" for number, summary in enumerate(partial_summaries, 1)
    )
    return Prompt(_system(request, task, schema_in_prompt), numbered)


def _transcript(segments: Sequence[Segment]) -> str:
    return "Transcript:\n" + "\n".join(transcript_line(segment) for segment in segments)


def commitments_prompt(request: SummaryRequest, segments: Sequence[Segment]) -> Prompt:
    """The second pass's question: which numbered lines commit someone to a task."""
    return Prompt(
        commitments_system_prompt(request.instructions)
        + f"\nWrite the task in {language_name(request.output_language)}.",
        numbered_transcript(segments),
        schema=COMMITMENTS_JSON_SCHEMA,
        schema_name="meeting_commitments",
    )
