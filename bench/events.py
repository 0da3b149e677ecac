"""Watching pipeline events on NATS from the bench process (core subscriptions see every
JetStream publish too), to time when a stage finished a document."""

from __future__ import annotations

import asyncio
import time

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.kernel.catalogue import TRANSCRIPTION_COMPLETED
from services.mesh.runner import Mesh
from speechflow.events.v1 import events_pb2


async def connect_nats(mesh: Mesh) -> NatsClient:
    assert mesh.nats is not None
    return await nats.connect(mesh.nats.url, name="bench")  # the mesh's operator login


class TranscriptionsObserved:
    """`transcription.completed` per document: arrival time (perf_counter) and the event."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.events: dict[str, events_pb2.TranscriptionCompleted] = {}
        self._changed = asyncio.Condition()
        self._subscription: Subscription | None = None

    async def start(self, client: NatsClient) -> None:
        async def on_message(msg: Msg) -> None:
            event = events_pb2.TranscriptionCompleted.FromString(msg.data)
            document_id = event.job.document_id
            if document_id not in self.arrived:
                self.arrived[document_id] = time.perf_counter()
                self.events[document_id] = event
            async with self._changed:
                self._changed.notify_all()

        self._subscription = await client.subscribe(TRANSCRIPTION_COMPLETED, cb=on_message)

    async def wait_for(self, document_ids: list[str]) -> None:
        """Returns once all have been seen (bound it with `asyncio.timeout`)."""
        async with self._changed:
            await self._changed.wait_for(lambda: all(d in self.arrived for d in document_ids))

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
