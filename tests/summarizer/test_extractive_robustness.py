from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.summarizer.engine import ExtractiveProvider, Segment, SummaryRequest

provider = ExtractiveProvider()

ENGLISH = ["we", "will", "decided", "budget", "Sarah", "ok", "the", "launch", "Tom,", "can", "you"]
FRENCH = ["il", "faut", "le", "serveur", "é", "l'équipe", "on", "a", "décidé"]
NOISE = [".", "?", "!", ",", "...", "42"]
words = st.sampled_from(ENGLISH + FRENCH + NOISE)
texts = st.lists(words, max_size=40).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, max_size=40), st.sampled_from(["en", "fr"]))
def test_extractive_provider_never_fails_and_fills_title_and_summary(
    lines: list[str], language: str
) -> None:
    segments = [Segment(i * 5.0, i * 5.0 + 4, text) for i, text in enumerate(lines)]
    request = SummaryRequest(segments, "fr" if language == "fr" else "en", "medium")

    summary = provider.summarize_now(request)

    assert summary.title
    assert summary.summary
    if summary.topics:
        assert summary.topics[0].start <= summary.topics[-1].end
