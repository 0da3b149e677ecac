"""Time the extractive provider on a three-hour, ~30,000-word transcript.

Run: .venv/bin/python -m tests.summarizer.bench_extractive
"""

from __future__ import annotations

import random
import time

from services.summarizer.engine.extractive import ExtractiveProvider
from services.summarizer.engine.model import Segment, SummaryRequest
from tests.summarizer.transcripts import ENGLISH_MEETING_LINES

THREE_HOURS = 3 * 3600.0
TARGET_WORDS = 30_000


def three_hour_transcript(seed: int = 7) -> list[Segment]:
    """Meeting lines in shuffled order with their nouns swapped, spread over three hours."""
    rng = random.Random(seed)
    vocabulary = sorted(
        {w.strip(".,?") for line in ENGLISH_MEETING_LINES for w in line.split() if len(w) > 6}
    )
    lines: list[str] = []
    words = 0
    while words < TARGET_WORDS:
        line = rng.choice(ENGLISH_MEETING_LINES).split()
        line = [rng.choice(vocabulary) if len(w) > 6 and rng.random() < 0.3 else w for w in line]
        lines.append(" ".join(line))
        words += len(line)
    step = THREE_HOURS / len(lines)
    return [Segment(i * step, (i + 1) * step, text) for i, text in enumerate(lines)]


def main() -> None:
    segments = three_hour_transcript()
    word_count = sum(len(s.text.split()) for s in segments)
    provider = ExtractiveProvider()
    for length in ("short", "medium", "long"):
        started = time.perf_counter()
        summary = provider.summarize_now(SummaryRequest(segments, "en", length))
        elapsed = time.perf_counter() - started
        print(
            f"{length:6} {word_count} words, {len(segments)} segments: {elapsed:.2f} s, "
            f"{len(summary.topics)} topics, {len(summary.decisions)} decisions, "
            f"{len(summary.action_items)} action items"
        )


if __name__ == "__main__":
    main()
