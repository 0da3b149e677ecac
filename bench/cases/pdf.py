"""Case 5: rendering a ~100-page report, and whether cost per page stays flat (vs 10 pages)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time

from pypdf import PdfReader

from bench.context import BenchContext
from bench.results import CaseResult, Headline
from bench.stats import ratio
from services.renderer.report import ReportInput, render_report
from tests.renderer.bench_report import long_report

ROUNDS = 3


def best_render_seconds(report: ReportInput) -> tuple[float, int]:
    """Fastest of a few renders (the least disturbed by neighbours), and the page count."""
    times = []
    pdf = b""
    for _ in range(ROUNDS):
        started = time.perf_counter()
        pdf = render_report(report)
        times.append(time.perf_counter() - started)
    return min(times), len(PdfReader(io.BytesIO(pdf)).pages)


def measure(segments: int) -> dict[str, float]:
    full = long_report()
    big = dataclasses.replace(full, segments=full.segments[:segments])
    small = dataclasses.replace(full, segments=full.segments[: max(1, segments // 10)])
    render_report(small)  # fonts and styles are set up once per process
    big_s, big_pages = best_render_seconds(big)
    small_s, small_pages = best_render_seconds(small)
    return {
        "pages": float(big_pages),
        "seconds": big_s,
        "pages/s": big_pages / big_s,
        "small report pages": float(small_pages),
        "small report seconds": small_s,
    }


async def run(context: BenchContext) -> list[CaseResult]:
    figures = await asyncio.to_thread(measure, context.sizes.pdf_segments)
    per_page_big = figures["seconds"] / figures["pages"]
    per_page_small = figures["small report seconds"] / figures["small report pages"]
    return [
        CaseResult(
            number=5,
            name="PDF report",
            input=f"render_report in-process on a {context.sizes.pdf_segments}-segment "
            "transcript (tests/renderer/bench_report.py) with summary, key points, topics; "
            f"best of {ROUNDS}; compared with the same report cut to a tenth",
            settings={"renderer": "services.renderer.report (ReportLab)"},
            metrics=figures,
            headline=Headline(
                "per-page cost, long vs short",
                ratio(per_page_big, per_page_small),
                "s/page at full length",
                "s/page at a tenth",
                goal="full length well under 1 s (seed claimed ~5 s)",
            ),
        )
    ]
