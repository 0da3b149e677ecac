"""A second, narrower question for small models: which transcript lines hold a task or a decision.

A 1.5B model asked for a whole summary at once drops commitments made in passing and guesses
owners. Asked only this, with numbered, speaker-labelled lines and one worked example, it
points at the lines and labels each one task, decision, small talk or meeting talk (a label
leaves it somewhere to put a promise made in small talk, or a decision, other than the
tasks); the line then decides the owner ("I will …" is its speaker's, "Omar, could you …" is
Omar's) and the due words, by the same rules the extractive path uses, and a line that is
small talk or talk about the meeting is no task whatever the model says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.summarizer.engine.chunking import transcript_line
from services.summarizer.engine.errors import InvalidOutputError
from services.summarizer.engine.extractive.cues import (
    find_owner,
    is_decision,
    is_request,
    owner_of,
    states_team_decision,
)
from services.summarizer.engine.extractive.small_talk import (
    SHORT_REPLY_WORDS,
    is_meta,
    is_small_talk,
    mentions_small_talk,
)
from services.summarizer.engine.llm_output import strict_object
from services.summarizer.engine.model import Segment

# A bound keeps a small model from looping on one item until its answer is cut off.
MAX_COMMITMENTS = 16
TASK = "task"
DECISION = "decision"
# A cited line that is neither (small talk, a question, the model's other labels).
NOTED = "noted"
# What the model may call a line it cites; only tasks and decisions are kept. (Offered a
# label for talk about the meeting as well, the 1.5B model labelled every line in turn and
# reached the list's bound before the meeting's end.)
LINE_KINDS = (TASK, DECISION, "small talk")

COMMITMENTS_JSON_SCHEMA: dict[str, Any] = strict_object(
    {
        "lines": {
            "type": "array",
            "maxItems": MAX_COMMITMENTS,
            # In this order: the model names and labels the line before it writes about it.
            "items": strict_object(
                {
                    "line": {"type": "integer", "minimum": 1},
                    "kind": {"enum": list(LINE_KINDS)},
                    "text": {"type": "string"},
                    "owner": {"type": ["string", "null"]},
                    "due": {"type": ["string", "null"]},
                }
            ),
        }
    }
)

# A worked example in the prompt: owners from "I'll" and from a name asked, a request answered
# on the next line, a promise made in small talk and a decision labelled as such, greetings,
# chat and talk about the meeting left out. Not taken from any benchmark meeting.
_EXAMPLE_LINES = (
    "L1 Speaker 1: Morning! Did anyone watch the match yesterday?",
    "L2 Speaker 2: I did, what a game. I'll bring you the photos.",
    "L3 Speaker 1: Anna, could you book the big room for the workshop?",
    "L4 Speaker 3: Sure, I'll do it today.",
    "L5 Speaker 2: And I will draft the agenda by Friday.",
    "L6 Speaker 1: Good. Then we keep the workshop on Tuesday.",
    "L7 Speaker 1: Let me summarize where we are.",
)
_EXAMPLE_ANSWER = {
    "lines": [
        {
            "line": 2,
            "kind": "small talk",
            "text": "Bring the match photos",
            "owner": "Speaker 2",
            "due": None,
        },
        {
            "line": 3,
            "kind": TASK,
            "text": "Book the big room for the workshop",
            "owner": "Anna",
            "due": "today",
        },
        {
            "line": 5,
            "kind": TASK,
            "text": "Draft the agenda",
            "owner": "Speaker 2",
            "due": "Friday",
        },
        {
            "line": 6,
            "kind": DECISION,
            "text": "Keep the workshop on Tuesday",
            "owner": None,
            "due": None,
        },
    ]
}


class _CitedLine(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    line: int
    kind: str = TASK
    text: str = ""
    owner: str | None = None
    due: str | None = None


class _CitedLines(BaseModel):
    model_config = ConfigDict(extra="ignore")
    lines: list[_CitedLine] = Field(default_factory=list)


@dataclass(frozen=True)
class Commitment:
    """A task the transcript shows someone took on or was given (`kind` TASK), or a decision
    (`kind` DECISION, nobody's task), or a line the model cited that is neither (`kind`
    NOTED), with the line it was said in."""

    text: str
    source: Segment
    owner: str | None  # a speaker label or a name said in the meeting
    due_words: str
    kind: str = TASK


def commitments_system_prompt(instructions: str = "") -> str:
    lines = [
        "You read meeting transcripts and point at the few lines where someone takes on or "
        "is given a task, or where the group decides something. Skip every other line: "
        "greetings, chat, questions, talk about the agenda.",
        "Each transcript line starts with its number (L1, L2 …) and the speaker's label or name.",
        "For each line you point at give: line, its number; kind: task when someone is to do "
        "something, decision when the group settles something and nobody is given work by "
        "it, small talk when the task is promised in small talk (weekends, sport, food, "
        "weather, family, pets, hobbies); text, the task or decision in a few words of your "
        "own, a task starting with a verb; owner, who does a task: the speaker of that line "
        "when they say I, I'll, I will, I can or let me, the person addressed by name when "
        'asked ("Anna, could you …"), else null; due, when a task is due in the words said '
        '("Friday", "tomorrow"), else null.',
        "Never invent tasks, names or dates. An empty list when there are none.",
        "Example transcript:",
        *_EXAMPLE_LINES,
        "Example answer:",
        json.dumps(_EXAMPLE_ANSWER),
    ]
    if instructions.strip():
        lines.append(f"The user's instructions for this summary: {instructions.strip()}")
    return "\n".join(lines)


def numbered_transcript(segments: Sequence[Segment]) -> str:
    return "Transcript:\n" + "\n".join(
        f"L{number} {_without_times(transcript_line(segment))}"
        for number, segment in enumerate(segments, 1)
    )


def parse_commitments(content: str) -> list[_CitedLine]:
    try:
        return _CitedLines.model_validate(json.loads(content)).lines
    except (json.JSONDecodeError, ValidationError) as error:
        raise InvalidOutputError(
            f"commitments answer does not follow its schema: {error}"
        ) from error


def ground_commitments(
    answer: Sequence[_CitedLine],
    segments: Sequence[Segment],
    *,
    spoken_words: set[str],
    content_words: Callable[[str], set[str]],
) -> list[Commitment]:
    """The model's tasks and decisions that the transcript backs up, each tied to its line.

    `segments` are the lines the model saw, numbered from 1."""
    found: list[Commitment] = []
    for item in answer:
        source = _cited_line(item, segments, content_words)
        if source is None:
            continue
        text = item.text.strip() or source.text.strip()
        kind = _kind(item.kind, source, segments)
        if (
            kind not in (TASK, DECISION)
            or _off_agenda(source, segments)
            or mentions_small_talk(text)
        ):
            # Kept as cited, so that no other item is taken from the line.
            found.append(Commitment(text=text, source=source, owner=None, due_words="", kind=NOTED))
            continue
        owner = _owner(item.owner, source, segments, spoken_words)
        due = (item.due or "").strip() if kind == TASK else ""
        found.append(
            Commitment(
                text=text,
                source=source,
                owner=owner if kind == TASK else None,
                due_words=due,
                kind=kind,
            )
        )
    return _without_repeats(found, segments, content_words)


def _kind(labelled: str, source: Segment, segments: Sequence[Segment]) -> str:
    """The line's wording over the model's labels task and decision: a line that gives
    someone work ("I'll …", "Anna, could you …", or the answer to such a request) is a
    task; one where the team states what it settled ("That's too long. We replace it with
    …", "We agreed on …"), giving nobody work, is a decision; a question that asks nobody
    to do anything ("Should we answer the oldest first?") is neither (NOTED)."""
    if labelled not in (TASK, DECISION):
        return NOTED  # small talk by the model's label: the rules know only some subjects
    assigns = owner_of(source.text, source.speaker) is not None
    if assigns or _request_answered_by(source, segments) is not None:
        return TASK
    sentences = _SENTENCE_BREAK.split(source.text.strip())
    if any(states_team_decision(sentence) or is_decision(sentence) for sentence in sentences):
        return DECISION
    if labelled == TASK and sentences[-1].endswith("?") and not is_request(source.text):
        return NOTED
    return labelled


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def _off_agenda(line: Segment, segments: Sequence[Segment]) -> bool:
    """Small talk, talk about the meeting, or a short reply to small talk ("Loud, but I'll
    send you the photos."): no meeting task, whatever its wording."""
    if is_small_talk(line.text) or is_meta(line.text):
        return True
    position = segments.index(line)
    previous = segments[position - 1] if position > 0 else None
    return (
        previous is not None
        and previous.speaker != line.speaker
        and is_small_talk(previous.text)
        and not is_request(previous.text)
        and len(line.text.split()) <= SHORT_REPLY_WORDS
    )


def _cited_line(
    item: _CitedLine, segments: Sequence[Segment], content_words: Callable[[str], set[str]]
) -> Segment | None:
    """The line whose wording the model's text restates best, the nearest to the number it
    cited of equally good ones; the cited line itself when no wording matches. (The 1.5B
    model's line numbers drift by a few lines, and some answers count their own items
    instead: its text is the better pointer.)"""
    index = item.line - 1
    wanted = content_words(item.text)
    overlaps = [len(wanted & content_words(segment.text)) for segment in segments]
    if not any(overlaps):
        return segments[index] if 0 <= index < len(segments) else None
    best = max(range(len(segments)), key=lambda i: (overlaps[i], -abs(i - index)))
    return segments[best]


def _owner(
    model_owner: str | None,
    source: Segment,
    segments: Sequence[Segment],
    spoken_words: set[str],
) -> str | None:
    """The line's own wording first, then an accepted request's addressee, then the model's
    owner if the meeting backs it up ("I"/"me" being the line's speaker)."""
    ruled = owner_of(source.text, source.speaker)
    if ruled:
        return ruled
    asked = _request_answered_by(source, segments)
    if asked is not None:
        return find_owner(asked.text)
    owner = (model_owner or "").strip()
    if not owner:
        return None
    if owner.lower() in {"i", "me", "myself", "moi", "je"}:
        return source.speaker or None
    labels = {segment.speaker for segment in segments if segment.speaker}
    if owner in labels or owner.split()[0].lower() in spoken_words:
        return owner
    return None


def _request_answered_by(answer: Segment, segments: Sequence[Segment]) -> Segment | None:
    """The request this line answers ("Sure, this afternoon." after "Omar, could you …?")."""
    position = segments.index(answer)
    if position == 0:
        return None
    previous = segments[position - 1]
    if (
        previous.speaker != answer.speaker
        and is_request(previous.text)
        and find_owner(previous.text)
    ):
        return previous
    return None


def _without_repeats(
    found: Sequence[Commitment],
    segments: Sequence[Segment],
    content_words: Callable[[str], set[str]],
) -> list[Commitment]:
    """One item per line, and one for a request and its answer when both are cited."""
    kept: list[Commitment] = []
    for item in found:
        position = segments.index(item.source)
        if any(
            other.kind == item.kind
            and other.owner == item.owner
            and (
                other.source == item.source
                or (
                    abs(segments.index(other.source) - position) == 1
                    and restates(other.text, item.text, content_words)
                )
            )
            for other in kept
        ):
            continue
        kept.append(item)
    return kept


def restates(first: str, second: str, content_words: Callable[[str], set[str]]) -> bool:
    """Whether two tasks share most of their words ("Prepare screenshots next week" and
    "Prepare the screenshots of the new checkout")."""
    a, b = content_words(first), content_words(second)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.5


_TIMES = re.compile(r"^\[\d+-\d+\]\s")


def _without_times(line: str) -> str:
    # Times help topics, not commitments; without them the line numbers stand out.
    return _TIMES.sub("", line)
