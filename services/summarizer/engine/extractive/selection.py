"""Choosing which rated sentences to show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from services.summarizer.engine.extractive.text import TimedSentence

# Two sentences sharing more than this share of their terms say the same thing.
NEAR_DUPLICATE_OVERLAP = 0.6


def top_rated(
    sentences: Sequence[TimedSentence], ratings: Sequence[float], limit: int
) -> list[TimedSentence]:
    """At most `limit` sentences, the best rated ones, in spoken order."""
    best = sorted(sentences, key=lambda s: ratings[s.index], reverse=True)[:limit]
    return sorted(best, key=lambda s: s.index)


def pick_across_topics(
    candidates: Sequence[TimedSentence],
    ratings: Sequence[float],
    topic_of: Sequence[int],
    count: int,
    avoid_repeating: Sequence[TimedSentence] = (),
) -> list[TimedSentence]:
    """`count` salient sentences in spoken order, spread over topics in proportion to their size.

    Ratings are relative to each topic's best sentence, so a global top-N would over-sample
    small topics; quotas keep the summary's balance close to the meeting's.
    """
    by_topic: dict[int, list[TimedSentence]] = defaultdict(list)
    for sentence in sorted(candidates, key=lambda s: ratings[s.index], reverse=True):
        by_topic[topic_of[sentence.index]].append(sentence)
    chosen: list[TimedSentence] = []
    seen = list(avoid_repeating)

    def take(sentence: TimedSentence) -> None:
        if len(chosen) < count and sentence not in chosen and not repeats(sentence, seen):
            chosen.append(sentence)
            seen.append(sentence)

    for topic, quota in _quotas({t: len(s) for t, s in by_topic.items()}, count).items():
        for sentence in by_topic[topic][:quota]:
            take(sentence)
    for sentence in sorted(candidates, key=lambda s: ratings[s.index], reverse=True):
        take(sentence)
    return sorted(chosen, key=lambda s: s.index)


def _quotas(sizes: dict[int, int], count: int) -> dict[int, int]:
    """Largest-remainder apportionment of `count` picks to topics by size."""
    total = sum(sizes.values())
    if total == 0:
        return {}
    exact = {topic: count * size / total for topic, size in sizes.items()}
    quotas = {topic: int(share) for topic, share in exact.items()}
    leftover = count - sum(quotas.values())
    by_remainder = sorted(exact, key=lambda t: exact[t] - quotas[t], reverse=True)
    for topic in by_remainder[:leftover]:
        quotas[topic] += 1
    return quotas


def repeats(sentence: TimedSentence, others: Sequence[TimedSentence]) -> bool:
    terms = set(sentence.terms)
    for other in others:
        other_terms = set(other.terms)
        union = terms | other_terms
        if union and len(terms & other_terms) / len(union) > NEAR_DUPLICATE_OVERLAP:
            return True
    return False
