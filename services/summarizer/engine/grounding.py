"""Turning a model's answer into a summary that the transcript backs up.

Small models misattribute owners and invent names, so every owner and speaker name is checked
against the transcript: an action item is matched to the sentence it came from, whose speaker
and wording ("I'll send …", "Priya, can you …") say who owns it; a name nobody said is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from services.summarizer.engine.commitments import DECISION, TASK, Commitment, restates
from services.summarizer.engine.due_dates import find_due_words, resolve_due
from services.summarizer.engine.extractive.cues import find_owner, is_request, owner_of
from services.summarizer.engine.extractive.small_talk import is_meta, is_small_talk
from services.summarizer.engine.extractive.text import detect_language, language_tools
from services.summarizer.engine.labels import LABELS
from services.summarizer.engine.llm_output import LlmSummary
from services.summarizer.engine.model import (
    ActionItem,
    Segment,
    StructuredSummary,
    SummaryRequest,
    Topic,
)
from services.summarizer.engine.speaker_names import names_addressed_by, suggest_speaker_names

# Share of an item's words its source sentence must contain to count as its source.
MIN_SOURCE_OVERLAP = 0.35
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SMALL_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "of",
        "and",
        "or",
        "for",
        "on",
        "in",
        "at",
        "by",
        "with",
        "is",
        "are",
        "be",
        "will",
        "i",
        "you",
        "we",
        "it",
        "this",
        "that",
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "et",
        "ou",
        "pour",
        "sur",
        "dans",
        "à",
        "un",
        "une",
        "je",
        "tu",
        "nous",
        "vous",
        "il",
        "elle",
    ]
)


def to_structured_summary(
    output: LlmSummary,
    request: SummaryRequest,
    provider: str,
    model: str,
    *,
    sections: int = 1,
    commitments: Sequence[Commitment] | None = None,
) -> StructuredSummary:
    """`commitments`: the tasks and decisions a second pass found line by line, when it ran.
    The action items are then that pass's, and the summary's own only where they were said
    on a line the pass did not cite and that line names who does it (the others come back
    as near-copies with other owners, and with decisions among them); the pass's decisions
    join the summary's where none of those was said on the same line."""
    segments = request.transcript_segments
    speaker_names = grounded_speaker_names(output, segments)
    notes = []
    if sections > 1:
        notes.append(LABELS[request.language].sections_note_template.format(sections=sections))
    on_agenda = _OnAgenda(request)
    decisions = [text for text in _unique(output.decisions) if on_agenda(text)]
    return StructuredSummary(
        title=output.title,
        summary=output.summary,
        key_points=[text for text in _unique(output.key_points) if on_agenda(text)],
        decisions=decisions + _decisions_found_apart(decisions, request, commitments or ()),
        action_items=(
            _action_items(output, request, speaker_names)
            if commitments is None
            else _committed_items(commitments, request, speaker_names)
            + _items_the_pass_missed(output, request, speaker_names, commitments)
        ),
        topics=_topics(output, request.duration),
        language=request.output_language,
        provider=provider,
        model=model,
        built_from_sections=sections > 1,
        speaker_names=speaker_names,
        notes=notes,
    )


def grounded_speaker_names(output: LlmSummary, segments: Sequence[Segment]) -> dict[str, str]:
    """Names the turns themselves show ("Priya, where are we …" answered by the next
    speaker), then the model's suggestions the transcript supports, where those left gaps.

    The rules come first: a small model reads "Speaker 1: Priya, can you …" as Speaker 1
    being Priya. So a rule-based name always wins, and a guess is dropped when it gives a
    name the rules gave someone else or a name its speaker addresses (a speaker does not
    call themselves by name)."""
    labels = {segment.speaker for segment in segments if segment.speaker}
    said = _said_words(segments)
    names = dict(suggest_speaker_names(segments))
    addressed = names_addressed_by(segments)
    for suggestion in output.speaker_names:
        name = suggestion.name.strip()
        if (
            suggestion.speaker in labels
            and suggestion.speaker not in names
            and name
            and name not in labels
            and name.split()[0].lower() in said
            and name not in names.values()
            and name.split()[0] not in addressed.get(suggestion.speaker, set())
        ):
            names[suggestion.speaker] = name
    return names


class _OnAgenda:
    """Whether a model's key point, decision or task belongs in meeting notes: not when the
    line it was written from is small talk or about the meeting itself ("let me summarize"),
    nor, when no line is found, when its own words are small talk."""

    def __init__(self, request: SummaryRequest) -> None:
        self._segments = [s for s in request.transcript_segments if s.text.strip()]
        self._stem = language_tools(detect_language(self._segments) or "en").stem

    def __call__(self, text: str) -> bool:
        source = _source_segment(text, self._segments, self._stem)
        said = source.text if source is not None else text
        return not (is_small_talk(said) or is_meta(said))


def content_words_for(segments: Sequence[Segment]) -> Callable[[str], set[str]]:
    """Stemmed content words, to tell which line a model's sentence was written from."""
    stem = language_tools(detect_language(segments) or "en").stem
    return lambda text: _content_words(text, stem)


def spoken_words(segments: Sequence[Segment]) -> set[str]:
    return _said_words(segments)


def _committed_items(
    commitments: Sequence[Commitment], request: SummaryRequest, speaker_names: dict[str, str]
) -> list[ActionItem]:
    segments = [s for s in request.transcript_segments if s.text.strip()]
    items: dict[str, ActionItem] = {}
    for commitment in commitments:
        if commitment.kind != TASK:
            continue
        owner = commitment.owner
        owner = speaker_names.get(owner, owner) if owner else None
        due_words = _grounded_due(commitment, segments)
        due = resolve_due(due_words, request.recording_date) if due_words else ""
        key = commitment.text.strip().lower()
        items.setdefault(key, ActionItem(text=commitment.text.strip(), owner=owner, due=due))
    return list(items.values())


def _items_the_pass_missed(
    output: LlmSummary,
    request: SummaryRequest,
    speaker_names: dict[str, str],
    commitments: Sequence[Commitment],
) -> list[ActionItem]:
    """The summary's own action items said on lines the second pass did not cite, kept only
    where that line's wording names who does it ("I'll …", "Anna, could you …"): the
    others come back as near-copies of the pass's items with a guessed owner."""
    segments = [s for s in request.transcript_segments if s.text.strip()]
    cited = _cited_lines(commitments, segments)
    stem = language_tools(detect_language(segments) or "en").stem
    missed = [
        item
        for item in output.action_items
        if (source := _source_segment(item.text, segments, stem)) is not None
        and source not in cited
        and owner_of(source.text, source.speaker) is not None
        and not is_meta(source.text)
    ]

    def words(text: str) -> set[str]:
        return _content_words(text, stem)

    by_the_pass = [c.text for c in commitments if c.kind == TASK]
    return [
        item
        for item in _action_items(
            output.model_copy(update={"action_items": missed}), request, speaker_names
        )
        if not any(restates(item.text, other, words) for other in by_the_pass)
    ]


def _cited_lines(commitments: Sequence[Commitment], segments: Sequence[Segment]) -> set[Segment]:
    """The lines the second pass cited, and the other half of each request and its answer
    among them (a task asked and accepted is one task)."""
    cited: set[Segment] = set()
    for commitment in commitments:
        source = commitment.source
        cited.add(source)
        if source not in segments:
            continue
        position = segments.index(source)
        before = segments[position - 1] if position > 0 else None
        after = segments[position + 1] if position + 1 < len(segments) else None
        if before is not None and before.speaker != source.speaker and is_request(before.text):
            cited.add(before)
        if after is not None and after.speaker != source.speaker and is_request(source.text):
            cited.add(after)
    return cited


def _decisions_found_apart(
    decisions: Sequence[str], request: SummaryRequest, commitments: Sequence[Commitment]
) -> list[str]:
    """The second pass's decisions said on lines none of the summary's decisions came from."""
    segments = [s for s in request.transcript_segments if s.text.strip()]
    stem = language_tools(detect_language(segments) or "en").stem
    covered = {_source_segment(text, segments, stem) for text in decisions}
    found: list[str] = []
    for commitment in commitments:
        if commitment.kind == DECISION and commitment.source not in covered:
            covered.add(commitment.source)
            found.append(commitment.text.strip())
    return found


def _action_items(
    output: LlmSummary, request: SummaryRequest, speaker_names: dict[str, str]
) -> list[ActionItem]:
    """The summary's own action items, grounded (when no second pass ran)."""
    segments = [s for s in request.transcript_segments if s.text.strip()]
    said = _said_words(segments)
    labels = {segment.speaker for segment in segments if segment.speaker}
    stem = language_tools(detect_language(segments) or "en").stem
    items: dict[str, ActionItem] = {}
    for item in output.action_items:
        source = _source_segment(item.text, segments, stem)
        if source is not None and is_small_talk(source.text):
            continue  # no task at all
        owner = _grounded_owner(item.owner, labels, said)
        if source is not None:
            # The sentence's own wording beats the model's guess (small models misattribute).
            owner = owner_of(source.text, source.speaker) or owner
        if owner in speaker_names:
            owner = speaker_names[owner]
        due_words = (item.due or "").strip() or find_due_words(item.text)
        if not due_words and source is not None:
            due_words = find_due_words(source.text) or _due_in_answer(source, segments)
        due = resolve_due(due_words, request.recording_date) if due_words else ""
        key = item.text.strip().lower()
        if key not in items:
            items[key] = ActionItem(text=item.text.strip(), owner=owner or None, due=due)
    return list(items.values())


def _grounded_due(commitment: Commitment, segments: Sequence[Segment]) -> str:
    """The due words the line says (or the answer to it); the model's only if said there."""
    source = commitment.source
    ruled = find_due_words(source.text) or (
        _due_in_answer(source, segments) if source in segments else ""
    )
    if ruled:
        return ruled
    words = commitment.due_words.strip()
    if not words or source not in segments:
        return ""
    position = segments.index(source)
    nearby = " ".join(s.text for s in segments[position : position + 2]).lower()
    return words if words.lower() in nearby else ""


def _due_in_answer(source: Segment, segments: Sequence[Segment]) -> str:
    """When a request ("Maria, could you …?") is answered "Sure, tomorrow.", the answer's day."""
    if not (is_request(source.text) and find_owner(source.text)):
        return ""
    position = segments.index(source)
    following = segments[position + 1] if position + 1 < len(segments) else None
    if following is None or following.speaker == source.speaker:
        return ""
    return find_due_words(following.text)


def _grounded_owner(owner: str | None, labels: set[str], said: set[str]) -> str | None:
    """The model's owner if it is a speaker or a name spoken in the meeting."""
    owner = (owner or "").strip()
    if not owner:
        return None
    if owner in labels:
        return owner
    first = owner.split()[0].lower()
    if first in said and first not in _SMALL_WORDS:
        return owner
    return None


def _source_segment(
    text: str, segments: Sequence[Segment], stem: Callable[[str], str]
) -> Segment | None:
    """The transcript segment an item was most likely written from."""
    wanted = _content_words(text, stem)
    if not wanted:
        return None
    best: Segment | None = None
    best_overlap = 0.0
    for segment in segments:
        overlap = len(wanted & _content_words(segment.text, stem)) / len(wanted)
        if overlap > best_overlap:
            best, best_overlap = segment, overlap
    return best if best_overlap >= MIN_SOURCE_OVERLAP else None


def _content_words(text: str, stem: Callable[[str], str]) -> set[str]:
    return {
        stem(word)
        for word in (w.lower() for w in _WORD.findall(text))
        if word not in _SMALL_WORDS and len(word) > 2
    }


def _said_words(segments: Sequence[Segment]) -> set[str]:
    return {word.lower() for segment in segments for word in _WORD.findall(segment.text)}


def _unique(texts: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(text.strip() for text in texts if text.strip()))


def _topics(output: LlmSummary, duration: float) -> list[Topic]:
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
    # Overlapping topics confuse a reader: each one ends where the next begins.
    return [
        Topic(t.title, t.start, min(t.end, topics[i + 1].start) if i + 1 < len(topics) else t.end)
        for i, t in enumerate(topics)
    ]
