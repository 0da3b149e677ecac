"""Splitting long inputs so that each language-model call stays within a token budget."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from services.summarizer.engine.model import Segment

# A conservative average over English and French; real tokenizers differ by model.
CHARS_PER_TOKEN = 3.5

TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def transcript_line(segment: Segment) -> str:
    """How a segment is shown to a model: its time range in seconds, who spoke, their words.

    Every line names its speaker (not only a turn's first): a chunk may start mid-turn, and
    "I will send the budget" must keep its owner wherever the transcript is cut.
    """
    speaker = f"{segment.speaker}: " if segment.speaker else ""
    return f"[{segment.start:.0f}-{segment.end:.0f}] {speaker}{segment.text.strip()}"


def chunk_segments(
    segments: Sequence[Segment], token_budget: int, count: TokenCounter = estimate_tokens
) -> list[list[Segment]]:
    """Consecutive groups of spoken segments whose rendered lines fit `token_budget` each."""
    chunks: list[list[Segment]] = []
    current: list[Segment] = []
    used = 0
    for piece in (p for s in segments if s.text.strip() for p in _fit(s, token_budget, count)):
        cost = count(transcript_line(piece)) + 1
        if current and used + cost > token_budget:
            chunks.append(current)
            current, used = [], 0
        current.append(piece)
        used += cost
    if current:
        chunks.append(current)
    return chunks


def group_by_budget(
    texts: Sequence[str], token_budget: int, count: TokenCounter = estimate_tokens
) -> list[list[int]]:
    """Indices of consecutive texts grouped to fit `token_budget`, at least two per group.

    Two per group at minimum guarantees that repeated merging ends with a single group even
    when single texts exceed the budget.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, text in enumerate(texts):
        cost = count(text)
        if len(current) >= 2 and used + cost > token_budget:
            groups.append(current)
            current, used = [], 0
        current.append(index)
        used += cost
    if len(current) == 1 and groups:
        groups[-1].append(current[0])
    elif current:
        groups.append(current)
    return groups


def _fit(segment: Segment, token_budget: int, count: TokenCounter) -> list[Segment]:
    """Split a segment too long for one call into word runs with interpolated times."""
    tokens = count(transcript_line(segment))
    if tokens < token_budget:
        return [segment]
    words = segment.text.split()
    pieces = math.ceil(tokens / (token_budget / 2))
    size = math.ceil(len(words) / pieces)
    span = segment.end - segment.start
    result = []
    for first in range(0, len(words), size):
        last = min(first + size, len(words))
        result.append(
            Segment(
                start=segment.start + span * first / len(words),
                end=segment.start + span * last / len(words),
                text=" ".join(words[first:last]),
                speaker=segment.speaker,
            )
        )
    return result
