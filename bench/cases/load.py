"""Load: many users at once, each registering, uploading a short recording, watching it to
completion and downloading the PDF; errors, lost jobs and duplicate emails must all be 0."""

from __future__ import annotations

import asyncio
import time

from bench.context import BenchContext
from bench.journey import emails_to, user_journey
from bench.recordings import speech_recording
from bench.results import CaseResult, Headline
from bench.stats import ratio

RECORDING_SECONDS = 4


async def run(context: BenchContext) -> list[CaseResult]:
    users = context.sizes.load_users
    recording = await asyncio.to_thread(
        speech_recording, context.scratch, RECORDING_SECONDS, "load"
    )
    data = recording.read_bytes()
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(user_journey(context.mesh, data, recording.name) for _ in range(users)),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    addresses = [o for o in outcomes if isinstance(o, str)]
    errors = len(outcomes) - len(addresses)
    await asyncio.sleep(2)  # a duplicate email would come from a late redelivery
    counts = {a: emails_to(context.mesh, a) for a in addresses}
    return [
        CaseResult(
            number=9,
            name="Load",
            input=f"{users} concurrent users through Envoy, each: Register, UploadDocument "
            f"({RECORDING_SECONDS} s recording), WatchDocument to the end, DownloadDocument(PDF)",
            settings={"transcriber processes": "1"},
            metrics={
                "users": float(users),
                "seconds": elapsed,
                "jobs/hour": users / elapsed * 3600,
                "errors": float(errors),
                "lost jobs": float(users - len(addresses)),
                "duplicate emails": float(sum(max(0, n - 1) for n in counts.values())),
                "missing emails": float(sum(n == 0 for n in counts.values())),
            },
            headline=Headline(
                "jobs completed", ratio(len(addresses), users), "completed", "submitted", "1"
            ),
        )
    ]
