"""Case 6: a progress event published on NATS -> a `WatchDocument` client receives it,
with one watcher and with many on the same document."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.client import Client as NatsClient

from bench.client import MeshUser, register_user
from bench.context import BenchContext
from bench.events import connect_nats
from bench.recordings import speech_recording
from bench.results import CaseResult, Headline
from bench.stats import percentile, ratio
from services.kernel.catalogue import DOCUMENT_CHANGED
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

SETTLE_SECONDS = 1.0  # after the last publish, for late deliveries


def progress_event(user: MeshUser, document: library_pb2.Document, tag: str) -> bytes:
    now = Timestamp()
    now.FromDatetime(datetime.now(UTC))
    return events_pb2.DocumentChanged(
        document_id=document.id,
        owner_id=user.user_id,
        status=library_pb2.DOCUMENT_STATUS_PROCESSING,
        progress=20,
        stage=library_pb2.STAGE_TRANSCRIPTION,
        message=tag,  # unique per event, so every one is a visible change
        update_time=now,
        version=1,
    ).SerializeToString()


async def receive(
    user: MeshUser, document_id: str, ready: asyncio.Event, arrived: dict[str, list[float]]
) -> None:
    stream = user.watch(document_id)
    await stream.__anext__()  # the current state: from here on, changes reach this stream
    ready.set()
    async for update in stream:
        arrived.setdefault(update.message, []).append(time.perf_counter())


async def one_round(
    context: BenchContext,
    nats_client: NatsClient,
    user: MeshUser,
    document: library_pb2.Document,
    watchers: int,
) -> tuple[list[float], int]:
    """Latencies in ms over every (event, watcher) received, and how many were missed."""
    sizes = context.sizes
    arrived: dict[str, list[float]] = {}
    readiness = [asyncio.Event() for _ in range(watchers)]
    tasks = [asyncio.create_task(receive(user, document.id, r, arrived)) for r in readiness]
    await asyncio.gather(*(r.wait() for r in readiness))
    published: dict[str, float] = {}
    for seq in range(sizes.progress_events):
        tag = f"bench {watchers} {seq}"
        data = progress_event(user, document, tag)
        published[tag] = time.perf_counter()
        await nats_client.publish(DOCUMENT_CHANGED, data)
        await asyncio.sleep(sizes.progress_interval_seconds)
    await nats_client.flush()
    await asyncio.sleep(SETTLE_SECONDS)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task
    latencies = [
        (moment - published[tag]) * 1000
        for tag, moments in arrived.items()
        if tag in published
        for moment in moments
    ]
    return latencies, sizes.progress_events * watchers - len(latencies)


async def run(context: BenchContext) -> list[CaseResult]:
    mesh = context.mesh
    transcriber = mesh.services["transcriber"]
    # With no transcriber the document stays PROCESSING, so watch streams stay open.
    await asyncio.to_thread(transcriber.stop)
    user = await register_user(mesh)
    nats_client = await connect_nats(mesh)
    metrics: dict[str, float] = {}
    p95: dict[int, float] = {}
    try:
        recording = await asyncio.to_thread(speech_recording, context.scratch, 3, "tiny")
        document = await user.upload(recording.read_bytes(), recording.name)
        for watchers in context.sizes.progress_watchers:
            latencies, missed = await one_round(context, nats_client, user, document, watchers)
            for share in (50, 95, 99):
                metrics[f"{watchers} watchers p{share} ms"] = percentile(latencies, share)
            metrics[f"{watchers} watchers missed"] = float(missed)
            p95[watchers] = percentile(latencies, 95)
    finally:
        await nats_client.close()
        await user.close()
        await asyncio.to_thread(transcriber.start)
    few, many = min(p95), max(p95)
    return [
        CaseResult(
            number=6,
            name="Progress latency",
            input=f"{context.sizes.progress_events} `document.changed` events published on NATS "
            f"every {context.sizes.progress_interval_seconds * 1000:g} ms for one document; "
            f"WatchDocument streams through Envoy; watchers: "
            f"{', '.join(map(str, context.sizes.progress_watchers))}",
            settings={"library replicas": "1", "watch queue": "64 (newest kept)"},
            metrics=metrics,
            headline=Headline(
                f"p95 growth, {many} vs {few} watchers",
                ratio(p95[many], p95[few]),
                f"p95 with {many}",
                f"p95 with {few}",
            ),
            notes="missed = events a watcher never saw (a slow watcher keeps only the newest)",
        )
    ]
