"""The JSON a language model must return, its validation, and its conversion to the domain."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.summarizer.engine.errors import InvalidOutputError


def strict_object(properties: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    """An OpenAI-style strict JSON-schema object: every property required, in the order
    given (a grammar makes the model write them in that order), no other keys."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
        **keywords,
    }


# Sent to the model.
SUMMARY_JSON_SCHEMA: dict[str, Any] = strict_object(
    {
        "title": {"type": "string", "description": "Short title saying what the meeting was about"},
        "summary": {"type": "string", "description": "Prose summary of the meeting"},
        "key_points": {"type": "array", "items": {"type": "string"}},
        "decisions": {"type": "array", "items": {"type": "string"}},
        "action_items": {
            "type": "array",
            "items": strict_object(
                {
                    "text": {"type": "string"},
                    "owner": {
                        "type": ["string", "null"],
                        "description": "Name of the speaker or person who does it, or null",
                    },
                    "due": {
                        "type": ["string", "null"],
                        "description": "When it is due, in the words said, or null",
                    },
                }
            ),
        },
        "topics": {
            "type": "array",
            "items": strict_object(
                {
                    "title": {"type": "string"},
                    "start": {"type": "number", "description": "Seconds from the start"},
                    "end": {"type": "number", "description": "Seconds from the start"},
                }
            ),
        },
        "speaker_names": {
            "type": "array",
            "description": "Real names of speakers the conversation reveals",
            "items": strict_object(
                {
                    "speaker": {"type": "string", "description": 'Label, e.g. "Speaker 2"'},
                    "name": {"type": "string"},
                }
            ),
        },
    }
)


def _answer_schema() -> dict[str, Any]:
    """What an answer must follow: the sent schema, with the fields a model in plain JSON mode
    may leave out (a task's due date, speaker names) optional and extra keys allowed."""
    schema = copy.deepcopy(SUMMARY_JSON_SCHEMA)
    schema["required"].remove("speaker_names")
    schema["properties"]["action_items"]["items"]["required"].remove("due")

    def lenient(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("additionalProperties", None)
            for value in node.values():
                lenient(value)
        elif isinstance(node, list):
            for value in node:
                lenient(value)

    lenient(schema)
    return schema


_ANSWER_VALIDATOR = Draft202012Validator(_answer_schema())


class _Lenient(BaseModel):
    # Models add stray keys now and then; that alone is no reason to throw the answer away.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class LlmActionItem(_Lenient):
    text: str = Field(min_length=1)
    owner: str | None = None
    due: str | None = None


class LlmSpeakerName(_Lenient):
    speaker: str
    name: str


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
    speaker_names: list[LlmSpeakerName] = Field(default_factory=list)


_CODE_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)


def parse_llm_summary(content: str) -> LlmSummary:
    """Validate a model's answer; `InvalidOutputError` if it is not JSON or breaks the schema."""
    fenced = _CODE_FENCE.match(content)
    text = fenced.group(1) if fenced else content
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidOutputError(f"malformed JSON from model: {error}") from error
    problem = next(iter(_ANSWER_VALIDATOR.iter_errors(data)), None)
    if problem is not None:
        where = "/".join(str(part) for part in problem.absolute_path) or "the answer"
        raise InvalidOutputError(
            f"model output does not follow the summary schema: {where}: {problem.message[:200]}"
        )
    try:
        return LlmSummary.model_validate(data)
    except ValidationError as error:
        raise InvalidOutputError(
            f"model output does not follow the summary schema: {error.error_count()} errors, "
            f"first: {error.errors()[0]['loc']} {error.errors()[0]['msg']}"
        ) from error
