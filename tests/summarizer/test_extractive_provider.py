from __future__ import annotations

import itertools
import re

import pytest

from services.summarizer.engine import (
    ExtractiveProvider,
    Segment,
    SummaryRequest,
    TranslationUnavailableError,
)
from services.summarizer.engine.model import Language, SummaryLength
from tests.summarizer.bench_extractive import three_hour_transcript
from tests.summarizer.transcripts import ENGLISH_MEETING, FRENCH_MEETING, timed

provider = ExtractiveProvider()


def sentence_count(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


@pytest.mark.asyncio
async def test_english_meeting_fills_every_section() -> None:
    summary = await provider.summarize(SummaryRequest(ENGLISH_MEETING, "en", "medium"))

    assert summary.title.startswith("Meeting: ")
    assert "trade show" in summary.title
    assert summary.summary
    assert summary.key_points
    assert any("smaller booth" in decision for decision in summary.decisions)
    assert any("offer to Maria" in decision for decision in summary.decisions)
    assert any("postpone both mobile releases" in decision for decision in summary.decisions)
    owners = {item.owner for item in summary.action_items}
    assert {"Sarah", "Lisa", "Ahmed"} <= owners
    sarah = next(item for item in summary.action_items if item.owner == "Sarah")
    assert "revised marketing budget" in sarah.text
    assert len(summary.topics) >= 2
    assert (summary.language, summary.provider, summary.notes) == ("en", "extractive", [])


@pytest.mark.asyncio
async def test_french_meeting_fills_every_section_in_french() -> None:
    summary = await provider.summarize(SummaryRequest(FRENCH_MEETING, "fr", "medium"))

    assert summary.title.startswith("Réunion : ")
    assert summary.summary
    assert summary.key_points
    assert any("bail pour trois ans" in decision for decision in summary.decisions)
    assert any("stockage en ligne" in decision for decision in summary.decisions)
    owners = {item.owner for item in summary.action_items}
    assert {"Claire", "Julien", "Sophie", "Marc"} <= owners
    assert len(summary.topics) >= 2
    assert summary.notes == []


@pytest.mark.asyncio
@pytest.mark.parametrize("segments", [ENGLISH_MEETING, FRENCH_MEETING], ids=["en", "fr"])
async def test_topics_are_contiguous_ordered_and_cover_the_meeting(
    segments: list[Segment],
) -> None:
    summary = await provider.summarize(SummaryRequest(segments, "en", "short"))

    topics = summary.topics
    assert topics[0].start == segments[0].start
    assert topics[-1].end == segments[-1].end
    for topic in topics:
        assert topic.title
        assert topic.start < topic.end
    for earlier, later in itertools.pairwise(topics):
        assert earlier.end <= later.start


@pytest.mark.asyncio
async def test_topics_are_named_after_what_was_discussed() -> None:
    summary = await provider.summarize(SummaryRequest(ENGLISH_MEETING, "en", "short"))

    titles = [topic.title.lower() for topic in summary.topics]
    assert "trade show" in titles[0]
    assert any("backend" in title or "hiring" in title for title in titles)
    assert "beta testers" in titles[-1] or "release" in titles[-1]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("segments", "language"), [(ENGLISH_MEETING, "en"), (FRENCH_MEETING, "fr")], ids=["en", "fr"]
)
async def test_longer_lengths_give_longer_summaries(
    segments: list[Segment], language: Language
) -> None:
    lengths: tuple[SummaryLength, ...] = ("short", "medium", "long")
    summaries = [
        await provider.summarize(SummaryRequest(segments, language, length)) for length in lengths
    ]

    sentences = [sentence_count(summary.summary) for summary in summaries]
    assert sentences[0] == 3
    assert sentences[0] < sentences[1] < sentences[2]
    assert len(summaries[0].key_points) < len(summaries[1].key_points)


@pytest.mark.asyncio
async def test_short_summary_is_a_single_paragraph() -> None:
    summary = await provider.summarize(SummaryRequest(ENGLISH_MEETING, "en", "short"))

    assert "\n" not in summary.summary


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("segments", "language", "title", "text"),
    [
        ([], "en", "No speech detected", "No speech was detected in this recording."),
        (
            [Segment(0, 5, "  "), Segment(5, 9, "")],
            "fr",
            "Aucune parole détectée",
            "Aucune parole n'a été détectée dans cet enregistrement.",
        ),
    ],
)
async def test_empty_transcript_says_no_speech_was_detected(
    segments: list[Segment], language: Language, title: str, text: str
) -> None:
    summary = await provider.summarize(SummaryRequest(segments, language, "medium"))

    assert (summary.title, summary.summary) == (title, text)
    assert summary.key_points == summary.decisions == []
    assert summary.action_items == []
    assert summary.topics == []


@pytest.mark.asyncio
async def test_a_summary_asked_in_another_language_than_spoken_is_refused() -> None:
    request = SummaryRequest(
        FRENCH_MEETING, "en", "short", summary_language="en", transcript_language="fr"
    )

    with pytest.raises(
        TranslationUnavailableError, match=r"no language model is available to translate"
    ):
        await provider.summarize(request)


@pytest.mark.asyncio
async def test_the_spoken_language_is_detected_when_the_transcript_does_not_say() -> None:
    with pytest.raises(TranslationUnavailableError):
        await provider.summarize(SummaryRequest(FRENCH_MEETING, "en", "short", "en-GB"))

    summary = await provider.summarize(SummaryRequest(FRENCH_MEETING, "fr", "short", "fr-CA"))
    assert (summary.language, summary.provider) == ("fr-CA", "extractive")


@pytest.mark.asyncio
async def test_meeting_without_commitments_has_no_action_items_or_decisions() -> None:
    segments = timed(
        [
            "The weather in Lisbon was sunny during the conference last month.",
            "The keynote speaker talked about the history of public transport in the city.",
            "Several attendees asked questions about tram maintenance costs.",
            "The evening reception took place in an old warehouse near the river.",
        ]
    )

    summary = await provider.summarize(SummaryRequest(segments, "en", "short"))

    assert summary.summary
    assert summary.action_items == []
    assert summary.decisions == []


@pytest.mark.asyncio
async def test_unpunctuated_transcript_is_cut_into_bounded_sentences() -> None:
    run_on = (
        "the database migration needs more testing before the payment team can switch "
        "over and the budget for servers is tight "
    )
    segments = [Segment(i * 10.0, i * 10.0 + 9, run_on * 3) for i in range(30)]

    summary = await provider.summarize(SummaryRequest(segments, "en", "medium"))

    assert summary.summary
    longest = max(len(paragraph.split()) for paragraph in summary.key_points)
    assert longest <= 60


@pytest.mark.asyncio
async def test_three_hour_transcript_is_summarized_with_topics_across_it() -> None:
    segments = three_hour_transcript()

    summary = await provider.summarize(SummaryRequest(segments, "en", "long"))

    assert sentence_count(summary.summary) >= 12
    assert 2 <= len(summary.topics) <= 12
    assert summary.topics[-1].end == segments[-1].end
