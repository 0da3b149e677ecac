"""Fans `document.changed` events out to this replica's WatchDocument streams.

Every replica subscribes (plain NATS, no durable state), so a watcher connected to any
replica sees changes committed by whichever replica consumed the pipeline event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.library.events import DOCUMENT_CHANGED
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.library.watch")
QUEUE_LIMIT = 64


class WatchHub:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[events_pb2.DocumentChanged]]] = defaultdict(set)
        self._subscription: Subscription | None = None

    @contextlib.contextmanager
    def watch(self, document_id: str) -> Iterator[asyncio.Queue[events_pb2.DocumentChanged]]:
        queue: asyncio.Queue[events_pb2.DocumentChanged] = asyncio.Queue(QUEUE_LIMIT)
        self._queues[document_id].add(queue)
        try:
            yield queue
        finally:
            watchers = self._queues.get(document_id)
            if watchers is not None:
                watchers.discard(queue)
                if not watchers:
                    del self._queues[document_id]

    def dispatch(self, change: events_pb2.DocumentChanged) -> None:
        for queue in self._queues.get(change.document_id, ()):
            if queue.full():
                # A slow watcher only needs the newest state: drop what it has not read.
                while not queue.empty():
                    queue.get_nowait()
            queue.put_nowait(change)

    async def start(self, client: NatsClient) -> None:
        async def on_message(msg: Msg) -> None:
            try:
                self.dispatch(events_pb2.DocumentChanged.FromString(msg.data))
            except Exception:
                log.warning("unreadable document.changed event", exc_info=True)

        self._subscription = await client.subscribe(DOCUMENT_CHANGED, cb=on_message)

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
