"""The JSON a language model must return, its validation, and its conversion to the domain."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.summarizer.engine.errors import ProviderError
from services.summarizer.engine.model import (
    ActionItem,
    StructuredSummary,
    SummaryRequest,
    Topic,
)

# Sent to the model (OpenAI-style strict schema: every property required, no extras).
SUMMARY_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "summary", "key_points", "decisions", "action_items", "topics"],
    "properties": {
        "title": {"type": "string", "description": "Short title for the meeting"},
        "summary": {"type": "string", "description": "Prose summary of the meeting"},
        "key_points": {"type": "array", "items": {"type": "string"}},
        "decisions": {"type": "array", "items": {"type": "string"}},
        "action_items": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "owner"],
                "properties": {
                    "text": {"type": "string"},
                    "owner": {"type": ["string", "null"], "description": "Person's name or null"},
                },
            },
        },
        "topics": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "start", "end"],
                "properties": {
                    "title": {"type": "string"},
                    "start": {"type": "number", "description": "Seconds from the start"},
                    "end": {"type": "number", "description": "Seconds from the start"},
                },
            },
        },
    },
}


class _Lenient(BaseModel):
    # Models add stray keys now and then; that alone is no reason to throw the answer away.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class LlmActionItem(_Lenient):
    text: str = Field(min_length=1)
    owner: str | None = None


class LlmTopic(_Lenient):
    title: str = Field(min_length=1)
    start: float = Field(ge=0)
    end: float = Field(ge=0)


class LlmSummary(_Lenient):
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    key_points: list[str]
    decisions: list[str]
    action_items: list[LlmActionItem]
    topics: list[LlmTopic]


_CODE_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)


def parse_llm_summary(content: str) -> LlmSummary:
    """Validate a model's answer; raise `ProviderError` if it is not JSON or breaks the schema."""
    fenced = _CODE_FENCE.match(content)
    text = fenced.group(1) if fenced else content
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProviderError(f"malformed JSON from model: {error}") from error
    try:
        return LlmSummary.model_validate(data)
    except ValidationError as error:
        raise ProviderError(
            f"model output does not follow the summary schema: {error.error_count()} errors, "
            f"first: {error.errors()[0]['loc']} {error.errors()[0]['msg']}"
        ) from error


def to_structured_summary(
    output: LlmSummary, request: SummaryRequest, provider: str, model: str
) -> StructuredSummary:
    duration = request.duration

    def within_recording(seconds: float) -> float:
        return min(max(seconds, 0.0), duration)

    topics = sorted(
        (
            Topic(
                title=topic.title,
                start=within_recording(min(topic.start, topic.end)),
                end=within_recording(max(topic.start, topic.end)),
            )
            for topic in output.topics
        ),
        key=lambda topic: topic.start,
    )
    return StructuredSummary(
        title=output.title,
        summary=output.summary,
        key_points=[point for point in output.key_points if point],
        decisions=[decision for decision in output.decisions if decision],
        action_items=[
            ActionItem(text=item.text, owner=item.owner or None) for item in output.action_items
        ],
        topics=topics,
        language=request.language,
        provider=provider,
        model=model,
    )
