"""Instructions given to language models for each step of a summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from services.summarizer.engine.chunking import transcript_line
from services.summarizer.engine.labels import LABELS
from services.summarizer.engine.llm_output import SUMMARY_JSON_SCHEMA
from services.summarizer.engine.model import Segment, SummaryLength, SummaryRequest

LENGTH_GUIDE: dict[SummaryLength, str] = {
    "short": "a summary of one paragraph of about 3 sentences and 3 to 5 key points",
    "medium": "a summary of 6 to 8 sentences and 5 to 8 key points",
    "long": "a summary of 12 to 15 sentences in 2 to 4 paragraphs and 8 to 12 key points",
}


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


def _system(request: SummaryRequest, task: str) -> str:
    language = LABELS[request.language].language_name
    return "\n".join(
        [
            "You summarize meeting transcripts for the people who attended.",
            task,
            f"Write every text value in {language}, translating from the transcript if needed.",
            "Transcript lines start with [start-end] times in seconds; "
            "give topic times in seconds too.",
            "When the transcript tells speakers apart, the times are followed by the speaker's "
            'name and a colon ("Alice: I will send the budget").',
            "List only decisions that were actually made and action items that someone actually "
            "took on or was given; use empty lists when there are none. An action item's owner is "
            "the person's name as spoken, or, when a speaker takes it on themselves (\"I will "
            '…", "I\'ll …", "let me …"), that speaker\'s name; null when nobody is known. '
            "Never invent facts.",
            "Reply with a single JSON object and nothing else, following this JSON schema:",
            json.dumps(SUMMARY_JSON_SCHEMA),
        ]
    )


def whole_transcript_prompt(request: SummaryRequest, segments: Sequence[Segment]) -> Prompt:
    task = f"Write {LENGTH_GUIDE[request.length]}, plus decisions, action items and topics."
    return Prompt(_system(request, task), _transcript(segments))


def chunk_prompt(
    request: SummaryRequest, segments: Sequence[Segment], part: int, parts: int
) -> Prompt:
    task = (
        f"This is part {part} of {parts} of a long meeting; the parts will be merged later. "
        "Summarize only this part in detail: keep every decision, action item and topic."
    )
    return Prompt(_system(request, task), _transcript(segments))


def merge_prompt(request: SummaryRequest, partial_summaries: Sequence[str], final: bool) -> Prompt:
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
    return Prompt(_system(request, task), numbered)


def _transcript(segments: Sequence[Segment]) -> str:
    return "Transcript:\n" + "\n".join(transcript_line(segment) for segment in segments)
