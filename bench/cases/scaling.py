"""Case 3: jobs per hour with one and with two transcriber processes on the same batch."""

from __future__ import annotations

import asyncio
import time

from bench.client import MeshUser, register_user
from bench.context import BenchContext
from bench.events import TranscriptionsObserved, connect_nats
from bench.mesh import extra_stage_process
from bench.recordings import speech_recording
from bench.results import CaseResult, Headline
from bench.stats import ratio

BATCH_TIMEOUT_SECONDS = 3600


async def transcribe_batch(
    user: MeshUser, observed: TranscriptionsObserved, data: bytes, jobs: int, label: str
) -> float:
    """Seconds from the first upload starting to the last transcription finishing."""
    started = time.perf_counter()
    documents = await asyncio.gather(
        *(user.upload(data, f"{label}-{index}.flac", language="en") for index in range(jobs))
    )
    ids = [d.id for d in documents]
    async with asyncio.timeout(BATCH_TIMEOUT_SECONDS):
        await observed.wait_for(ids)
    return max(observed.arrived[i] for i in ids) - started


async def run(context: BenchContext) -> list[CaseResult]:
    sizes = context.sizes
    recording = await asyncio.to_thread(
        speech_recording, context.scratch, sizes.scaling_seconds, "batch"
    )
    data = recording.read_bytes()
    user = await register_user(context.mesh)
    nats_client = await connect_nats(context.mesh)
    observed = TranscriptionsObserved()
    await observed.start(nats_client)
    try:
        one = await transcribe_batch(user, observed, data, sizes.scaling_jobs, "one")
        async with extra_stage_process(context.mesh, "transcriber"):
            two = await transcribe_batch(user, observed, data, sizes.scaling_jobs, "two")
    finally:
        await observed.stop()
        await nats_client.close()
        await user.close()
    per_hour_one = sizes.scaling_jobs / one * 3600
    per_hour_two = sizes.scaling_jobs / two * 3600
    return [
        CaseResult(
            number=3,
            name="Worker scaling",
            input=f"a batch of {sizes.scaling_jobs} uploads of the same "
            f"{sizes.scaling_seconds:g} s English recording, all uploaded at once; timed until "
            "the last `transcription.completed`",
            settings={"transcriber processes": "1 then 2", "STAGE_CONCURRENCY": "1"},
            metrics={
                "1 process, seconds": one,
                "2 processes, seconds": two,
                "1 process, jobs/hour": per_hour_one,
                "2 processes, jobs/hour": per_hour_two,
            },
            headline=Headline(
                "speed-up", ratio(per_hour_two, per_hour_one), "jobs/h with 2", "jobs/h with 1"
            ),
            notes="both processes share the machine's cores; CTranslate2 already uses all of "
            "them in one process, so on a small machine expect little gain",
        )
    ]
