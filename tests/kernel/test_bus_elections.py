"""Creating streams and consumers waits out a JetStream cluster without a leader, as a publish
does: during an election (or while a cluster forms at start-up) the API does not answer."""

from __future__ import annotations

from typing import Any, cast

from nats.aio.client import Client as NatsClient
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from services.kernel.catalogue import TRANSCRIBER_CHUNK_CONSUMER
from services.kernel.jetstream import ConsumerSpec, EventBus, StreamSpec
from services.transcriber.fanout.chunks import ensure_chunk_stream


class ElectingJetStream:
    """Answers nothing for the first `silent` API calls, then behaves like an empty server."""

    def __init__(self, silent: int) -> None:
        self.silent = silent
        self.streams: dict[str, StreamConfig] = {}
        self.consumers: list[tuple[str, Any]] = []

    def _election(self) -> None:
        if self.silent > 0:
            self.silent -= 1
            raise NatsTimeoutError

    async def stream_info(self, name: str) -> StreamConfig:
        self._election()
        if name not in self.streams:
            raise NotFoundError
        return self.streams[name]

    async def add_stream(self, config: StreamConfig) -> None:
        self._election()
        self.streams[config.name or ""] = config

    async def add_consumer(self, stream: str, config: Any) -> None:
        self._election()
        self.consumers.append((stream, config))


def bus_on(js: ElectingJetStream) -> EventBus:
    return EventBus(source="tests", client=cast(NatsClient, None), js=cast(JetStreamContext, js))


async def test_a_stream_is_created_once_the_cluster_has_elected_a_leader() -> None:
    js = ElectingJetStream(silent=3)

    await bus_on(js).ensure_streams([StreamSpec("ELECTING", ("speechflow.tests.>",))])

    assert list(js.streams) == ["ELECTING"]


async def test_the_chunk_stream_is_created_once_the_cluster_has_elected_a_leader() -> None:
    js = ElectingJetStream(silent=3)

    await ensure_chunk_stream(bus_on(js))

    assert list(js.streams) == [TRANSCRIBER_CHUNK_CONSUMER.stream]


async def test_a_consumer_is_created_once_the_cluster_has_elected_a_leader() -> None:
    js = ElectingJetStream(silent=2)

    await bus_on(js).ensure_consumer(ConsumerSpec("ELECTING", "tests-durable", ("a.b",)))

    assert [(stream, config.durable_name) for stream, config in js.consumers] == [
        ("ELECTING", "tests-durable")
    ]
