"""Time ``render_report`` on a transcript long enough to fill about 100 pages.

Run: .venv/bin/python -m tests.renderer.bench_report
"""

from __future__ import annotations

import datetime as dt
import io
import random
import statistics
import time

from pypdf import PdfReader

from services.renderer.report import (
    ActionItem,
    ModelsUsed,
    ReportInput,
    Topic,
    TranscriptSegment,
    render_report,
    render_thumbnail,
)

_SENTENCE = (
    "we need to ship the beta before the end of the quarter and the budget is tight so "
    "let us agree on priorities hiring roadmap customers feedback réunion équipe "
    "l'œuvre « élan » ça coûte déjà"
)
SEGMENT_COUNT = 2_100  # ~25 words each: about 100 pages of transcript


def long_report(seed: int = 7, speakers: int = 1) -> ReportInput:
    """With several speakers, the speaker changes after one to four segments (a lively
    meeting: many turns, so many name lines)."""
    rng = random.Random(seed)
    words = _SENTENCE.split(" ")
    segments = []
    start = 0.0
    speaker, turn_left = 0, 0
    for _ in range(SEGMENT_COUNT):
        if speakers > 1 and turn_left == 0:
            speaker = (speaker + rng.randint(1, speakers - 1)) % speakers
            turn_left = rng.randint(1, 4)
        turn_left -= 1
        length = rng.uniform(3.0, 9.0)
        text = " ".join(rng.choice(words) for _ in range(rng.randint(10, 40)))
        name = f"Speaker {speaker + 1}" if speakers > 1 else ""
        segments.append(TranscriptSegment(start, start + length, text, name))
        start += length
    return ReportInput(
        title="Quarterly planning — full-day workshop",
        source_file_name="workshop.m4a",
        created=dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC),
        duration_seconds=start,
        language="en",
        models=ModelsUsed("base", "sumy", "lexrank"),
        summary="A long meeting. " * 40,
        key_points=tuple(f"Key point {i}" for i in range(10)),
        decisions=tuple(f"Decision {i}" for i in range(5)),
        action_items=tuple(ActionItem(f"Action {i}", owner="Alice") for i in range(8)),
        topics=tuple(Topic(f"Topic {i}", i * 600.0, (i + 1) * 600.0) for i in range(12)),
        segments=tuple(segments),
    )


def main() -> None:
    for speakers in (1, 3):
        measure(long_report(speakers=speakers), f"{speakers} speaker(s)")


def measure(report: ReportInput, name: str) -> None:
    render_report(report)  # font registration and style creation happen once per process
    wall, cpu = [], []
    for _ in range(5):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        pdf = render_report(report)
        wall.append(time.perf_counter() - started_wall)
        cpu.append(time.process_time() - started_cpu)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    started = time.perf_counter()
    render_thumbnail(pdf)
    thumbnail = time.perf_counter() - started
    print(
        f"{name}: {pages} pages, {len(pdf) / 1024:.0f} KiB: render_report median "
        f"{statistics.median(wall):.3f} s wall, {statistics.median(cpu):.3f} s CPU; "
        f"render_thumbnail {thumbnail * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
