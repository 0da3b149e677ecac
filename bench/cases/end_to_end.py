"""Case 8: one recording from upload to email, stage by stage, as the user sees it."""

from __future__ import annotations

import asyncio
import time

from bench.client import register_user
from bench.context import BenchContext
from bench.journey import emails_to
from bench.recordings import speech_recording
from bench.results import CaseResult, Headline
from bench.stats import ratio
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2

EMAIL_POLL_SECONDS = 0.05
EMAIL_TIMEOUT_SECONDS = 120


async def wait_for_email(mesh: Mesh, address: str) -> float:
    """time.time() when the notifier's email for `address` is first seen in the outbox."""
    while True:
        if await asyncio.to_thread(emails_to, mesh, address):
            return time.time()
        await asyncio.sleep(EMAIL_POLL_SECONDS)


async def run(context: BenchContext) -> list[CaseResult]:
    seconds = context.sizes.e2e_seconds
    recording = await asyncio.to_thread(speech_recording, context.scratch, seconds, "meeting")
    user = await register_user(context.mesh)
    stage_seen: dict[int, float] = {}
    try:
        started = time.time()
        document = await user.upload(recording.read_bytes(), recording.name, language="en")
        uploaded = time.time()
        final = None
        async for update in user.watch(document.id):
            stage_seen.setdefault(int(update.stage), time.time())
            final = update
        finished = time.time()
        async with asyncio.timeout(EMAIL_TIMEOUT_SECONDS):
            emailed = await wait_for_email(context.mesh, user.email)
    finally:
        await user.close()
    if final is None or final.status != library_pb2.DOCUMENT_STATUS_COMPLETED:
        raise RuntimeError(f"the document did not complete: {final}")
    order = [
        library_pb2.STAGE_TRANSCRIPTION,
        library_pb2.STAGE_SUMMARIZATION,
        library_pb2.STAGE_RENDERING,
        library_pb2.STAGE_NOTIFICATION,
    ]
    seen = [(stage, stage_seen[stage]) for stage in order if stage in stage_seen]
    metrics = {"upload s": uploaded - started}
    for (stage, at), (_, next_at) in zip(seen, [*seen[1:], (0, finished)], strict=True):
        metrics[f"{library_pb2.Stage.Name(stage).removeprefix('STAGE_').lower()} s"] = next_at - at
    metrics["completed -> email s"] = max(0.0, emailed - finished)
    metrics["upload -> email s"] = emailed - started
    transcription = metrics.get("transcription s", float("nan"))
    return [
        CaseResult(
            number=8,
            name="End to end",
            input=f"a {seconds:g} s English recording (FLAC) uploaded through Envoy, watched "
            "with WatchDocument; stage times are from the watch stream's stage changes as the "
            "client received them; email = first .eml for the user in the notifier's outbox",
            settings={"email": "local outbox (no provider key)", "summarizer": "default"},
            metrics=metrics,
            headline=Headline(
                "share spent transcribing",
                ratio(transcription, metrics["upload -> email s"]),
                "transcription stage",
                "upload -> email",
            ),
        )
    ]
