"""The offline default provider: picks transcript sentences, never calls a network."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.summarizer.engine.extractive.cues import (
    announces_team_intent,
    clean_sentence,
    is_action,
    is_decision,
    owner_of,
)
from services.summarizer.engine.extractive.ranking import rate_sentences
from services.summarizer.engine.extractive.selection import pick_across_topics, top_rated
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
)

SUMMARY_SENTENCES: dict[SummaryLength, int] = {"short": 3, "medium": 7, "long": 14}
KEY_POINTS: dict[SummaryLength, int] = {"short": 3, "medium": 6, "long": 10}
MAX_LISTED_ITEMS: dict[SummaryLength, int] = {"short": 5, "medium": 10, "long": 20}
MIN_SUMMARY_WORDS = 6
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
        transcript_language = detect_language(request.transcript_segments) or request.language
        tools = language_tools(transcript_language)
        sentences = split_sentences(request.transcript_segments, tools)
        if not sentences:
            return no_speech_summary(request.language, self.name, self.model)

        topic_ranges = segment_topics(sentences, request.duration)
        topic_of = [topic for topic, r in enumerate(topic_ranges) for _ in r]
        ratings = rate_sentences(sentences, topic_ranges)
        eligible = _summary_candidates(sentences)

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

        statements = [s for s in sentences if not s.is_question]
        action_sentences = [s for s in sentences if is_action(s.text)]
        actions = {s.index for s in action_sentences}
        decision_sentences = [
            s
            for s in statements
            if is_decision(s.text) or (announces_team_intent(s.text) and s.index not in actions)
        ]
        limit = MAX_LISTED_ITEMS[request.length]

        notes = []
        if transcript_language != request.language:
            notes.append(
                labels.untranslated_note_template.format(
                    language=labels.language_names[transcript_language]
                )
            )
        return StructuredSummary(
            title=_title(sentences, summary_sentences, labels),
            summary=_summary_text(summary_sentences, topic_of, request.length),
            key_points=_unique_texts(key_point_sentences),
            decisions=_unique_texts(top_rated(decision_sentences, ratings, limit)),
            action_items=_action_items(top_rated(action_sentences, ratings, limit)),
            topics=_topics(sentences, topic_ranges),
            language=request.language,
            provider=self.name,
            model=self.model,
            notes=notes,
        )


def _summary_candidates(sentences: list[TimedSentence]) -> list[TimedSentence]:
    substantial = [
        s
        for s in sentences
        if s.word_count >= MIN_SUMMARY_WORDS and len(s.terms) >= 2 and not s.is_question
    ]
    # Very short transcripts ("Hello? Can you hear me?") still get a summary.
    return substantial or [s for s in sentences if not s.is_question] or sentences


def _title(sentences: list[TimedSentence], summary: list[TimedSentence], labels: Labels) -> str:
    keywords = keywords_by_group([sentences], TITLE_KEYWORDS)[0]
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


def _action_items(sentences: Sequence[TimedSentence]) -> list[ActionItem]:
    items = {
        clean_sentence(s.text): ActionItem(clean_sentence(s.text), owner_of(s.text, s.speaker))
        for s in sentences
    }
    return list(items.values())


def _topics(sentences: list[TimedSentence], ranges: list[range]) -> list[Topic]:
    groups = [sentences[r.start : r.stop] for r in ranges]
    topics = []
    for group, keywords in zip(groups, keywords_by_group(groups, TOPIC_KEYWORDS), strict=True):
        if keywords:
            title = ", ".join(keywords)
        else:
            title = " ".join(clean_sentence(group[0].text).split()[:FALLBACK_TITLE_WORDS])
        topics.append(
            Topic(title=title[0].upper() + title[1:], start=group[0].start, end=group[-1].end)
        )
    return topics
