"""The offline default provider: picks transcript sentences, never calls a network."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import date

from services.summarizer.engine.due_dates import find_due_words, resolve_due
from services.summarizer.engine.errors import TranslationUnavailableError
from services.summarizer.engine.extractive.cues import (
    announces_team_intent,
    clean_sentence,
    find_owner,
    is_action,
    is_decision,
    is_request,
    owner_of,
    states_team_decision,
)
from services.summarizer.engine.extractive.ranking import rate_sentences
from services.summarizer.engine.extractive.selection import pick_across_topics, repeats, top_rated
from services.summarizer.engine.extractive.small_talk import is_assent, off_agenda
from services.summarizer.engine.extractive.text import (
    TimedSentence,
    detect_language,
    language_tools,
    split_sentences,
)
from services.summarizer.engine.extractive.topics import keywords_by_group, segment_topics
from services.summarizer.engine.labels import LABELS, Labels, no_speech_summary
from services.summarizer.engine.model import (
    ActionItem,
    StructuredSummary,
    SummaryLength,
    SummaryRequest,
    Topic,
    primary_language,
)
from services.summarizer.engine.speaker_names import suggest_speaker_names

SUMMARY_SENTENCES: dict[SummaryLength, int] = {"short": 3, "medium": 7, "long": 14}
KEY_POINTS: dict[SummaryLength, int] = {"short": 3, "medium": 6, "long": 10}
MAX_LISTED_ITEMS: dict[SummaryLength, int] = {"short": 5, "medium": 10, "long": 20}
MIN_SUMMARY_WORDS = 6
MIN_DECISION_WORDS = 4
# How many sentences after a proposal or request its approval or answer may come.
APPROVAL_WINDOW = 3
# An answer that takes a request on: "Sure, I can do that tomorrow.", "Yes, I'll …".
_TAKES_IT_ON = re.compile(
    r"^(?:(?:yes|yeah|sure|okay|ok|of course|no problem|will do|oui|bien sûr|d'accord)\b|"
    r"(?:i|I)(?:'ll|\ will|\ can)\b|je\ (?:vais|peux|m'en))",
    re.IGNORECASE,
)
TITLE_KEYWORDS = 3
TOPIC_KEYWORDS = 3
FALLBACK_TITLE_WORDS = 8


class ExtractiveProvider:
    """LexRank (sumy) sentence extraction plus cue phrases for decisions and action items.

    It cannot translate: when the transcript is in another language than the one requested,
    sentences are quoted as spoken and `StructuredSummary.notes` says so.
    """

    name = "extractive"
    model = "sumy-lexrank"

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        # CPU-bound work (about a second for three hours of speech) must not block the loop.
        return await asyncio.to_thread(self.summarize_now, request)

    def summarize_now(self, request: SummaryRequest) -> StructuredSummary:
        labels = LABELS[request.language]
        detected = detect_language(request.transcript_segments)
        spoken = primary_language(request.transcript_language) or detected or ""
        if request.has_speech and request.needs_translation(spoken):
            # Quoting English sentences under a French heading helps nobody: refuse instead.
            raise TranslationUnavailableError(spoken, request.output_language)
        transcript_language = detected or request.language
        tools = language_tools(transcript_language)
        sentences = split_sentences(request.transcript_segments, tools)
        if not sentences:
            return no_speech_summary(request.language, self.name, self.model)

        topic_ranges = segment_topics(sentences, request.duration)
        topic_of = [topic for topic, r in enumerate(topic_ranges) for _ in r]
        ratings = rate_sentences(sentences, topic_ranges)
        dropped = off_agenda(sentences)
        on_agenda = [s for s in sentences if s.index not in dropped] or sentences
        eligible = _summary_candidates(on_agenda)

        summary_sentences = pick_across_topics(
            eligible, ratings, topic_of, SUMMARY_SENTENCES[request.length]
        )
        in_summary = {s.index for s in summary_sentences}
        key_point_sentences = (
            pick_across_topics(
                [s for s in eligible if s.index not in in_summary],
                ratings,
                topic_of,
                KEY_POINTS[request.length],
                avoid_repeating=summary_sentences,
            )
            or summary_sentences
        )

        action_sentences = [s for s in sentences if s.index not in dropped and is_action(s.text)]
        actions = {s.index for s in action_sentences}
        decision_sentences = [
            s
            for s in sentences
            if s.index not in dropped
            and not s.is_question
            and s.word_count >= MIN_DECISION_WORDS
            and (
                is_decision(s.text)
                or states_team_decision(s.text)
                or (s.index not in actions and announces_team_intent(s.text))
                or (s.index not in actions and _approved(s, sentences))
            )
        ]
        limit = MAX_LISTED_ITEMS[request.length]
        speaker_names = suggest_speaker_names(request.transcript_segments)

        return StructuredSummary(
            title=_title(on_agenda, summary_sentences, labels, set(speaker_names.values())),
            summary=_summary_text(summary_sentences, topic_of, request.length),
            key_points=_unique_texts(key_point_sentences),
            decisions=_distinct(top_rated(decision_sentences, ratings, limit)),
            action_items=_action_items(
                top_rated(action_sentences, ratings, limit),
                sentences,
                speaker_names,
                request.recording_date,
            ),
            topics=_topics(sentences, topic_ranges, dropped),
            language=request.output_language,
            provider=self.name,
            model=self.model,
            speaker_names=speaker_names,
        )


def _approved(sentence: TimedSentence, sentences: list[TimedSentence]) -> bool:
    """A proposal the others assent to at once ("… Any objections?" - "None.")."""
    following = sentences[sentence.index + 1 : sentence.index + 1 + APPROVAL_WINDOW]
    rest_of_turn = [s for s in following if s.speaker == sentence.speaker]
    if any(not s.is_question for s in rest_of_turn):
        return False  # not the last word of its turn
    replies = [s for s in following if s.speaker != sentence.speaker]
    return bool(sentence.speaker) and bool(replies) and is_assent(replies[0].text)


def _summary_candidates(sentences: list[TimedSentence]) -> list[TimedSentence]:
    substantial = [
        s
        for s in sentences
        if s.word_count >= MIN_SUMMARY_WORDS and len(s.terms) >= 2 and not s.is_question
    ]
    # Very short transcripts ("Hello? Can you hear me?") still get a summary.
    return substantial or [s for s in sentences if not s.is_question] or sentences


def _title(
    sentences: list[TimedSentence],
    summary: list[TimedSentence],
    labels: Labels,
    people: set[str],
) -> str:
    # People's names say who met, not what about.
    names = {name.lower() for name in people}
    keywords = [
        keyword
        for keyword in keywords_by_group([sentences], TITLE_KEYWORDS + len(names))[0]
        if keyword.lower() not in names
    ][:TITLE_KEYWORDS]
    if keywords:
        return labels.title_template.format(keywords=labels.join_words(keywords))
    words = clean_sentence(summary[0].text).rstrip(".!?").split()
    ellipsis = "…" if len(words) > FALLBACK_TITLE_WORDS else ""
    return " ".join(words[:FALLBACK_TITLE_WORDS]) + ellipsis


def _summary_text(
    sentences: list[TimedSentence], topic_of: list[int], length: SummaryLength
) -> str:
    if length == "short":
        return " ".join(clean_sentence(s.text) for s in sentences)
    # Longer summaries start a paragraph where the conversation moves to another topic.
    paragraphs: list[list[str]] = []
    previous_topic = None
    for sentence in sentences:
        if topic_of[sentence.index] != previous_topic:
            paragraphs.append([])
            previous_topic = topic_of[sentence.index]
        paragraphs[-1].append(clean_sentence(sentence.text))
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)


def _unique_texts(sentences: Sequence[TimedSentence]) -> list[str]:
    return list(dict.fromkeys(clean_sentence(s.text) for s in sentences))


def _distinct(sentences: Sequence[TimedSentence]) -> list[str]:
    """Texts of the sentences, near-duplicates (the same decision said twice) left out."""
    kept: list[TimedSentence] = []
    for sentence in sorted(sentences, key=lambda s: s.index):
        if not repeats(sentence, kept):
            kept.append(sentence)
    return _unique_texts(kept)


def _action_items(
    picked: Sequence[TimedSentence],
    sentences: list[TimedSentence],
    speaker_names: dict[str, str],
    recording_date: date | None,
) -> list[ActionItem]:
    """Tasks with owner and due date. A request ("Maria, could you …?") and its answer
    ("Sure, tomorrow.") are one task: the answer gives the due date and is not listed again."""
    answers = {}
    for sentence in picked:
        answer = _answer_to(sentence, sentences)
        if answer is not None:
            answers[sentence.index] = answer
    answered = {answer.index for answer in answers.values()}
    items: dict[str, ActionItem] = {}
    for sentence in sorted(picked, key=lambda s: s.index):
        if sentence.index in answered:
            continue
        owner = owner_of(sentence.text, sentence.speaker)
        owner = speaker_names.get(owner, owner) if owner else None
        due_words = find_due_words(sentence.text)
        if not due_words and sentence.index in answers:
            due_words = find_due_words(answers[sentence.index].text)
        text = clean_sentence(sentence.text)
        items.setdefault(
            text,
            ActionItem(text, owner, resolve_due(due_words, recording_date) if due_words else ""),
        )
    return list(items.values())


def _answer_to(request: TimedSentence, sentences: list[TimedSentence]) -> TimedSentence | None:
    """The reply that takes on a request addressed to someone, if the next speaker gives one."""
    if not (is_request(request.text) and find_owner(request.text)):
        return None
    for sentence in sentences[request.index + 1 : request.index + 1 + APPROVAL_WINDOW]:
        if sentence.speaker == request.speaker:
            continue
        takes_it = _TAKES_IT_ON.search(sentence.text) is not None
        return sentence if takes_it else None
    return None


def _topics(sentences: list[TimedSentence], ranges: list[range], dropped: set[int]) -> list[Topic]:
    groups = [sentences[r.start : r.stop] for r in ranges]
    # Named after what was discussed, not after the small talk in them.
    named = [[s for s in group if s.index not in dropped] or group for group in groups]
    topics = []
    for group, keywords in zip(groups, keywords_by_group(named, TOPIC_KEYWORDS), strict=True):
        if keywords:
            title = ", ".join(keywords)
        else:
            title = " ".join(clean_sentence(group[0].text).split()[:FALLBACK_TITLE_WORDS])
        topics.append(
            Topic(title=title[0].upper() + title[1:], start=group[0].start, end=group[-1].end)
        )
    return topics
