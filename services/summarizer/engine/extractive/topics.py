"""Splitting a transcript into contiguous topics and naming them by their keywords.

Boundaries follow TextTiling (Hearst, 1997): compare the vocabulary of the sentences before and
after each gap and cut where it changes most. The recording's duration caps how many topics
there may be, so a short call is not cut into fragments.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Sequence

from services.summarizer.engine.extractive.text import TimedSentence

SECONDS_PER_TOPIC = 180.0
MAX_TOPICS = 12
MIN_TOPIC_SENTENCES = 6


def segment_topics(sentences: Sequence[TimedSentence], duration: float) -> list[range]:
    """Contiguous, ordered sentence ranges that together cover every sentence."""
    count = len(sentences)
    wanted = min(MAX_TOPICS, round(duration / SECONDS_PER_TOPIC), count // MIN_TOPIC_SENTENCES)
    if wanted <= 1:
        return [range(count)]
    window = max(2, min(10, count // (2 * wanted)))
    similarities = [_gap_similarity(sentences, gap, window) for gap in range(1, count)]
    depths = _depth_scores(similarities)
    cutoff = statistics.mean(depths) - statistics.pstdev(depths) / 2
    min_spacing = max(MIN_TOPIC_SENTENCES, count // (2 * wanted))

    boundaries: list[int] = []
    for depth, gap in sorted(zip(depths, range(1, count), strict=True), key=lambda d: -d[0]):
        if len(boundaries) == wanted - 1 or depth <= 0 or depth < cutoff:
            break
        edges = [0, count, *boundaries]
        if all(abs(gap - edge) >= min_spacing for edge in edges):
            boundaries.append(gap)
    starts = [0, *sorted(boundaries)]
    return [range(a, b) for a, b in zip(starts, [*starts[1:], count], strict=True)]


def _gap_similarity(sentences: Sequence[TimedSentence], gap: int, window: int) -> float:
    before = Counter(term for s in sentences[max(0, gap - window) : gap] for term in s.terms)
    after = Counter(term for s in sentences[gap : gap + window] for term in s.terms)
    dot = sum(weight * after[term] for term, weight in before.items())
    norm = math.sqrt(sum(v * v for v in before.values()) * sum(v * v for v in after.values()))
    return dot / norm if norm else 0.0


def _depth_scores(similarities: list[float]) -> list[float]:
    """How far each gap's similarity lies below the nearest peaks on both sides."""
    depths = []
    for i, value in enumerate(similarities):
        left = i
        while left > 0 and similarities[left - 1] >= similarities[left]:
            left -= 1
        right = i
        while right < len(similarities) - 1 and similarities[right + 1] >= similarities[right]:
            right += 1
        depths.append((similarities[left] - value) + (similarities[right] - value))
    return depths


def keywords_by_group(groups: Sequence[Sequence[TimedSentence]], limit: int) -> list[list[str]]:
    """For each group, the words that best set it apart from the other groups (TF-IDF)."""
    counts = [Counter(term for s in sentences for term in s.terms) for sentences in groups]
    document_frequency = Counter(term for group_counts in counts for term in group_counts)
    keywords = []
    for sentences, group_counts in zip(groups, counts, strict=True):
        surface = _most_common_surface_forms(sentences)

        def weight(term: str, group_counts: Counter[str] = group_counts) -> float:
            return group_counts[term] * math.log(1 + len(groups) / document_frequency[term])

        candidates = [term for term in group_counts if len(surface[term]) >= 3]
        # sorted() is stable: equal weights keep their order of first appearance.
        ranked = sorted(candidates, key=weight, reverse=True)
        pairs = Counter(pair for s in sentences for pair in itertools.pairwise(s.terms))
        keywords.append(_join_phrases(ranked[: 2 * limit], pairs, group_counts, surface)[:limit])
    return keywords


def _join_phrases(
    ranked: list[str],
    pairs: Counter[tuple[str, str]],
    counts: Counter[str],
    surface: dict[str, str],
) -> list[str]:
    """Merge two top terms into one keyword when they are mostly said together ("trade show")."""
    keywords = []
    used: set[str] = set()
    for term in ranked:
        if term in used:
            continue
        used.add(term)
        keyword = surface[term]
        for other in (o for o in ranked if o not in used):
            together = [
                (first, second)
                for first, second in ((term, other), (other, term))
                if pairs[first, second] >= 2
                and 2 * pairs[first, second] >= min(counts[first], counts[second])
            ]
            if together:
                first, second = together[0]
                keyword = f"{surface[first]} {surface[second]}"
                used.add(other)
                break
        keywords.append(keyword)
    return keywords


def _most_common_surface_forms(sentences: Sequence[TimedSentence]) -> dict[str, str]:
    forms: dict[str, Counter[str]] = {}
    for sentence in sentences:
        for term, word in zip(sentence.terms, sentence.content_words, strict=True):
            forms.setdefault(term, Counter())[word] += 1
    return {term: counter.most_common(1)[0][0] for term, counter in forms.items()}
