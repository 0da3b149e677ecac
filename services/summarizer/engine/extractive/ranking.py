"""Sentence salience with sumy's LexRank, computed block by block.

LexRank compares every pair of sentences, so its cost grows with the square of the sentence
count (about 1 s for 600 sentences). Rating blocks of at most `MAX_BLOCK_SENTENCES` keeps a
three-hour transcript near a second, and blocks follow topic boundaries so each topic's
central sentences rise within it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.lex_rank import LexRankSummarizer

from services.summarizer.engine.extractive.text import TimedSentence

MAX_BLOCK_SENTENCES = 150


class _PrecomputedTerms:
    """sumy tokenizer stand-in that returns terms already stemmed and stop-word filtered."""

    def __init__(self, sentences: Sequence[TimedSentence]) -> None:
        self._terms = {sentence.text: sentence.terms for sentence in sentences}

    def to_words(self, text: str) -> tuple[str, ...]:
        return self._terms[text]


def rate_sentences(sentences: Sequence[TimedSentence], blocks: Sequence[range]) -> list[float]:
    """A salience in [0, 1] per sentence: its LexRank score relative to its block's best."""
    ratings = [0.0] * len(sentences)
    for block in blocks:
        for part in _split_block(block):
            for index, rating in _rate_block([sentences[i] for i in part]).items():
                ratings[index] = rating
    return ratings


def _split_block(block: range) -> list[range]:
    parts = math.ceil(len(block) / MAX_BLOCK_SENTENCES)
    if parts <= 1:
        return [block]
    size = math.ceil(len(block) / parts)
    return [block[i : i + size] for i in range(0, len(block), size)]


def _rate_block(block: list[TimedSentence]) -> dict[int, float]:
    # Sentences without terms are left out: they carry no content, and an all-zero row
    # would stop LexRank's power iteration from converging.
    rated = [sentence for sentence in block if sentence.terms]
    if not rated:
        return {}
    tokenizer = _PrecomputedTerms(rated)
    document = ObjectDocumentModel([Paragraph([Sentence(s.text, tokenizer) for s in rated])])
    infos: list[Any] = []

    def keep_every_sentence(ranked: list[Any]) -> list[Any]:
        # sumy hands the sentences sorted by rating to this "count" callable.
        infos.extend(ranked)
        return ranked

    # A block whose terms all have zero IDF gives a zero vector that sumy divides by its norm:
    # NaN ratings, handled below, are expected there and not worth a warning.
    with numpy.errstate(invalid="ignore", divide="ignore"):
        LexRankSummarizer()(document, keep_every_sentence)
    scores = {rated[info.order].index: float(info.rating) for info in infos}
    best = max((score for score in scores.values() if math.isfinite(score)), default=0.0)
    if best <= 0:
        # Tiny blocks make every IDF zero; fall back to how much content each sentence has.
        most_terms = max(len(s.terms) for s in rated)
        return {s.index: len(s.terms) / most_terms for s in rated}
    return {
        index: max(score, 0.0) / best if math.isfinite(score) else 0.0
        for index, score in scores.items()
    }
