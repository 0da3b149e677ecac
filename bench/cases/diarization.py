"""Case 10: who spoke when — speed, speaker error and memory of the offline diarizer.

Runs `bench.diarization` in a child process (so its peak RSS is the diarizer's own): a
multi-voice espeak-ng meeting of known turns and the real two-person call that ships with
`pyannote-audio` (speaker turns from its RTTM), scored as DER with a 0.25 s collar.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench import diarization
from bench.context import BenchContext
from bench.results import CaseResult, Headline

GOAL = "≥ 15"


async def run(context: BenchContext) -> list[CaseResult]:
    seconds = context.sizes.diarization_seconds
    figures: dict[str, Any] = await asyncio.to_thread(diarization.run, seconds, 2)
    cases: list[dict[str, Any]] = figures["cases"]
    rows = [
        {
            "recording": case["recording"],
            "audio s": case["audio_seconds"],
            "realtime factor": case["realtime_factor"],
            "per CPU second": case["realtime_factor_per_cpu_second"],
            "speakers found / expected": f"{case['speakers_found']} / {case['speakers_expected']}",
            "DER %": case["der_percent"],
        }
        for case in cases
    ]
    metrics = {
        "realtime factor": float(figures["realtime_factor"]),
        "load seconds": float(figures["load_seconds"]),
        "peak RSS MiB": float(figures["peak_rss_mib"]),
        "load average during the run": float(figures["load_average_1m"]),
    }
    for case in cases:
        metrics[f"{case['recording']} DER %"] = float(case["der_percent"])
    return [
        CaseResult(
            number=10,
            name="Speaker diarization",
            input=f"{len(cases)} recordings: "
            + ", ".join(f"{case['recording']} ({case['audio_seconds']:.0f} s)" for case in cases),
            settings={"engine": str(figures["engine"]), "threads": str(figures["threads"])},
            metrics=metrics,
            headline=Headline(
                "diarization realtime factor",
                float(figures["realtime_factor"]),
                "audio seconds",
                "wall seconds",
                goal=GOAL,
            ),
            notes="DER = (missed + false alarm + speaker confusion) / reference speech, 0.25 s "
            "collar; the diarizer runs beside recognition in the transcriber, so on 2 cores the "
            "two share the CPU",
            rows=rows,
        )
    ]
