"""JetStream event bus: streams and durable consumers declared as code, publishing with a
dedup id, and pull consumption that acks only after the handler's effect is committed.

Publishing survives a JetStream cluster electing a new stream leader: the publish is retried
with the same dedup id until the stream answers (see `PUBLISH_RETRY_SECONDS`).

Handler outcome: return -> ack; raise `TransientError` -> nak with exponential backoff until
the retry budget is spent; raise `PermanentError` (or exhaust retries) -> `on_gave_up` runs
(e.g. publishes `processing.failed`) and only then the message is terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import nats
from google.protobuf.message import Message
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import ConnectionReconnectingError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NoStreamResponseError, NotFoundError, ServiceUnavailableError

from services.kernel.backoff import doubling_delay
from services.kernel.logs import request_id_var
from services.kernel.metrics import (
    CONSUMER_ACK_PENDING,
    CONSUMER_PENDING,
    CONSUMER_REDELIVERED,
)
from services.kernel.settings import NatsCredentials, ServiceSettings
from services.kernel.tasks import cancel_and_wait

log = logging.getLogger("speechflow.events")

M = TypeVar("M", bound=Message)

HEADER_EVENT_ID = "Nats-Msg-Id"
HEADER_TYPE = "Speechflow-Event-Type"
HEADER_SOURCE = "Speechflow-Source"
HEADER_TIME = "Speechflow-Time"
HEADER_REQUEST_ID = "Speechflow-Request-Id"

# What is left of a shutdown grace period is usually less; see EventBus.close.
DRAIN_TIMEOUT_SECONDS = 5.0
# A 3-node cluster takes about 5 s to elect a new stream leader after one is killed; a
# publish keeps trying that long and more, well inside the stream's duplicate window, so a
# retry that the old leader had in fact stored is dropped as a duplicate, not stored twice.
PUBLISH_RETRY_SECONDS = 30.0
PUBLISH_TIMEOUT_SECONDS = 2.0
_PUBLISH_BACKOFF_SECONDS = (0.1, 0.25, 0.5, 1.0)
# What a publish meets while the stream has no leader (or the client is between servers).
_LEADERLESS_ERRORS = (
    NoStreamResponseError,
    NoRespondersError,
    NatsTimeoutError,
    TimeoutError,
    ServiceUnavailableError,
    ConnectionReconnectingError,
)


def server_urls(url: str | Sequence[str]) -> list[str]:
    """`NATS_URL` as a list of servers: one URL, or several separated by commas (the nodes
    of a cluster; the client fails over between them)."""
    urls = [url] if isinstance(url, str) else list(url)
    servers = [part.strip() for entry in urls for part in entry.split(",") if part.strip()]
    if not servers:
        raise ValueError("no NATS server URL given")
    return servers


def inbox_prefix(user: str) -> str:
    """Reply subjects of one NATS user (publish acks, JetStream API answers, pulled messages)."""
    return f"_INBOX_{user}"


@dataclass(frozen=True)
class StreamSpec:
    """One stream per producer, holding every subject it publishes."""

    name: str
    subjects: Sequence[str]
    max_age_seconds: float = 14 * 24 * 3600
    duplicate_window_seconds: float = 120.0


def producer_stream(producer: str) -> StreamSpec:
    return StreamSpec(
        name=f"SPEECHFLOW_{producer.upper()}", subjects=[f"speechflow.{producer}.v1.>"]
    )


async def connect_producer(settings: ServiceSettings, producer: str) -> EventBus:
    """A service's connection to NATS as its settings say, with the stream its own events go
    to (`producer_stream`) declared before it publishes any."""
    bus = await EventBus.connect(
        settings.nats_url,
        source=producer,
        credentials=settings.nats_credentials(),
        stream_replicas=settings.nats_stream_replicas,
    )
    await bus.ensure_streams([producer_stream(producer)])
    return bus


@dataclass(frozen=True)
class ConsumerSpec:
    """One durable consumer per purpose; processes sharing the name share the work."""

    stream: str
    durable: str
    subjects: Sequence[str]
    ack_wait_seconds: float = 30.0
    concurrency: int = 1


@dataclass(frozen=True)
class RetryPolicy:
    """Seed policy: 3 retries after the first attempt, exponential backoff."""

    max_attempts: int = 4
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 60.0

    def delay_after(self, attempt: int) -> float:
        return doubling_delay(self.base_delay_seconds, self.max_delay_seconds, attempt)


class TransientError(Exception):
    """Worth retrying later (network, provider hiccup, busy dependency)."""


class PermanentError(Exception):
    """Retrying cannot help (corrupt media); the message says why in plain words."""


@dataclass
class ReceivedEvent:
    subject: str
    data: bytes
    headers: dict[str, str]
    attempt: int
    event_id: str

    def parse(self, message_type: type[M]) -> M:
        message = message_type()
        message.ParseFromString(self.data)
        return message


Handler = Callable[[ReceivedEvent], Awaitable[None]]
GaveUp = Callable[[ReceivedEvent, Exception, bool], Awaitable[None]]


class Delivery(Protocol):
    """How one delivered message is settled: a nats `Msg` in service, a fake in the unit
    tests of the retry policy (`deliver` needs nothing else of NATS)."""

    # The signature of nats' `Msg.ack_sync`, whose timeout is its own.
    async def ack_sync(self, timeout: float = ...) -> object: ...  # noqa: ASYNC109

    async def nak(self, delay: float | None = None) -> None: ...

    async def term(self) -> None: ...

    async def in_progress(self) -> None: ...


@dataclass
class EventBus:
    """A NATS connection with JetStream, owned by one service process."""

    source: str
    client: NatsClient
    js: JetStreamContext
    # Copies of each stream kept by a cluster (NATS_STREAM_REPLICAS); 1 on a single server.
    stream_replicas: int = 1
    _consumers: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def connect(
        cls,
        url: str | Sequence[str],
        source: str,
        credentials: NatsCredentials | None = None,
        *,
        stream_replicas: int = 1,
    ) -> EventBus:
        login: dict[str, str] = {}
        if credentials is not None:
            # A private inbox prefix, so the server can let this user read its own replies
            # (`inbox_prefix(user).>`) and nobody else's.
            login = {
                "user": credentials.user,
                "password": credentials.password,
                "inbox_prefix": inbox_prefix(credentials.user),
            }
        client = await nats.connect(
            servers=server_urls(url),
            name=source,
            max_reconnect_attempts=-1,  # keep trying: NATS restarts must not kill services
            reconnect_time_wait=0.5,
            **login,  # type: ignore[arg-type]
        )
        return cls(
            source=source,
            client=client,
            js=client.jetstream(),
            stream_replicas=stream_replicas,
        )

    async def ensure_streams(self, specs: Sequence[StreamSpec]) -> None:
        """Creates missing streams (see `ensure_stream`)."""
        for spec in specs:
            config = StreamConfig(
                name=spec.name,
                subjects=list(spec.subjects),
                storage=StorageType.FILE,
                max_age=spec.max_age_seconds,
                duplicate_window=spec.duplicate_window_seconds,
                # Consumers inherit it: each keeps as many copies as its stream.
                num_replicas=self.stream_replicas,
            )
            await self.ensure_stream(config)

    async def ensure_stream(self, config: StreamConfig) -> None:
        """Creates the stream if it is missing, waiting out a leaderless cluster; only the
        producer's own stream is also updated, so a consumer never needs (nor gets) the
        right to reconfigure someone else's stream."""
        name = config.name or ""
        await _waiting_out_elections(
            "stream not created", name, functools.partial(self._ensure_stream, config)
        )

    async def _ensure_stream(self, config: StreamConfig) -> None:
        # Idempotent, so a retry after a create the cluster did apply is harmless.
        try:
            await self.js.stream_info(config.name or "")
        except NotFoundError:
            await self.js.add_stream(config)
        else:
            if config.name == producer_stream(self.source).name:
                await self.js.update_stream(config)

    async def publish(self, subject: str, message: Message, *, event_id: str | None = None) -> str:
        """Publishes and waits for the stream's ack; the event id doubles as the dedup id."""
        event_id = event_id or uuid.uuid4().hex
        headers = {
            HEADER_EVENT_ID: event_id,
            HEADER_TYPE: subject,
            HEADER_SOURCE: self.source,
            HEADER_TIME: datetime.now(UTC).isoformat(),
            HEADER_REQUEST_ID: request_id_var.get() or event_id,
        }
        await self.publish_raw(subject, message.SerializeToString(), headers)
        return event_id

    async def publish_raw(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        """Publishes a message prepared earlier (the outbox relay), waiting out a leader
        election. A refusal with a reason (an API error) raises at once; silence (no leader,
        or no stream takes the subject at all) raises TimeoutError after PUBLISH_RETRY_SECONDS."""
        await _waiting_out_elections(
            "stream did not acknowledge the publish",
            subject,
            lambda: self.js.publish(
                subject, data, timeout=PUBLISH_TIMEOUT_SECONDS, headers=headers
            ),
        )

    async def ensure_consumer(self, spec: ConsumerSpec) -> None:
        config = ConsumerConfig(
            durable_name=spec.durable,
            filter_subjects=list(spec.subjects),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=spec.ack_wait_seconds,
            max_ack_pending=max(64, spec.concurrency * 4),
        )
        await _waiting_out_elections(
            "consumer not created", spec.durable, lambda: self.js.add_consumer(spec.stream, config)
        )

    def start_consumer(
        self,
        spec: ConsumerSpec,
        handler: Handler,
        *,
        retry: RetryPolicy = RetryPolicy(),
        on_gave_up: GaveUp | None = None,
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(self._consume(spec, handler, retry, on_gave_up))
        self._consumers.append(task)
        return task

    async def _consume(
        self,
        spec: ConsumerSpec,
        handler: Handler,
        retry: RetryPolicy,
        on_gave_up: GaveUp | None,
    ) -> None:
        # A consumer that cannot be declared must not vanish silently (the task would only
        # surface its error at shutdown): say why and keep trying.
        while True:
            try:
                await self.ensure_consumer(spec)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.error(
                    "cannot declare consumer; retrying",
                    extra={"stream": spec.stream, "consumer": spec.durable},
                    exc_info=True,
                )
                await asyncio.sleep(2)
        lag = asyncio.create_task(self._report_lag(spec))
        self._consumers.append(lag)
        subscription = await self.js.pull_subscribe_bind(durable=spec.durable, stream=spec.stream)
        slots = asyncio.Semaphore(spec.concurrency)
        running: set[asyncio.Task[None]] = set()
        failures = 0
        try:
            while True:
                await slots.acquire()
                try:
                    messages = await subscription.fetch(1, timeout=5)
                except (TimeoutError, NatsTimeoutError):
                    slots.release()
                    continue
                except Exception as exc:  # a reconnect or a leader election: both pass
                    slots.release()
                    failures += 1
                    # The first failure in a row with its traceback; the rest of an outage
                    # (an election fails every fetch for seconds) at debug level.
                    log.log(
                        logging.WARNING if failures == 1 else logging.DEBUG,
                        "fetch failed; retrying",
                        extra={"consumer": spec.durable, "failures": failures, "error": repr(exc)},
                        exc_info=failures == 1,
                    )
                    await asyncio.sleep(1)
                    continue
                failures = 0
                for msg in messages:
                    task = asyncio.create_task(self._deliver(msg, spec, handler, retry, on_gave_up))
                    running.add(task)
                    task.add_done_callback(running.discard)
                    task.add_done_callback(lambda _t: slots.release())
        finally:
            # Cancelled at shutdown: in-flight messages are neither acked nor naked, so
            # JetStream redelivers them to another (or the restarted) worker.
            await cancel_and_wait(running)
            # Unsubscribed rather than drained: a drain would wait for the server to expire
            # the pending pull request (up to the fetch timeout) for nothing.
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _report_lag(self, spec: ConsumerSpec, every: float = 10.0) -> None:
        """Keeps the consumer's backlog gauges current for /metrics and the queue view."""
        labels = (spec.stream, spec.durable)
        while True:
            try:
                info = await self.js.consumer_info(spec.stream, spec.durable)
                CONSUMER_PENDING.labels(*labels).set(info.num_pending or 0)
                CONSUMER_ACK_PENDING.labels(*labels).set(info.num_ack_pending or 0)
                CONSUMER_REDELIVERED.labels(*labels).set(info.num_redelivered or 0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.debug("consumer info unavailable", exc_info=True)
            await asyncio.sleep(every)

    async def _deliver(
        self,
        msg: Msg,
        spec: ConsumerSpec,
        handler: Handler,
        retry: RetryPolicy,
        on_gave_up: GaveUp | None,
    ) -> None:
        headers = dict(msg.headers or {})
        event = ReceivedEvent(
            subject=msg.subject,
            data=msg.data,
            headers=headers,
            attempt=msg.metadata.num_delivered,
            event_id=headers.get(HEADER_EVENT_ID, ""),
        )
        await deliver(
            event,
            msg,
            handler,
            ack_wait_seconds=spec.ack_wait_seconds,
            retry=retry,
            on_gave_up=on_gave_up,
        )

    async def close(self, drain_seconds: float = DRAIN_TIMEOUT_SECONDS) -> None:
        """Stops the consumers, then drains the connection for at most `drain_seconds`
        (the client's own drain timeout is 30 s, longer than any shutdown grace)."""
        await cancel_and_wait(self._consumers)
        if self.client.is_closed:
            return
        try:
            async with asyncio.timeout(max(drain_seconds, 0.0)):
                await self.client.drain()
        except TimeoutError:
            log.warning("NATS drain timed out; closing", extra={"drain_seconds": drain_seconds})
            await self.client.close()


async def deliver(
    event: ReceivedEvent,
    delivery: Delivery,
    handler: Handler,
    *,
    ack_wait_seconds: float,
    retry: RetryPolicy,
    on_gave_up: GaveUp | None,
) -> None:
    """Runs the handler on one delivered event and settles it: ack after the handler
    returned (its effect is committed), nak with backoff while the retry budget lasts, and
    once out of attempts or on a `PermanentError` `on_gave_up` first, then term."""
    token = request_id_var.set(event.headers.get(HEADER_REQUEST_ID, event.event_id))
    heartbeat = asyncio.create_task(_keep_alive(delivery, ack_wait_seconds / 3))
    try:
        await handler(event)
    except PermanentError as exc:
        await _give_up(delivery, event, exc, True, on_gave_up)
    except Exception as exc:
        if event.attempt >= retry.max_attempts:
            await _give_up(delivery, event, exc, False, on_gave_up)
        else:
            delay = retry.delay_after(event.attempt)
            log.warning(
                "handler failed; will retry",
                extra={
                    "subject": event.subject,
                    "attempt": event.attempt,
                    "delay": delay,
                    "error": str(exc),
                },
            )
            await delivery.nak(delay=delay)
    else:
        await _acknowledge(delivery, event, within=ack_wait_seconds)
    finally:
        heartbeat.cancel()
        request_id_var.reset(token)


async def _give_up(
    delivery: Delivery,
    event: ReceivedEvent,
    error: Exception,
    permanent: bool,
    on_gave_up: GaveUp | None,
) -> None:
    log.error(
        "giving up on event",
        extra={
            "subject": event.subject,
            "attempt": event.attempt,
            "permanent": permanent,
            "error": str(error),
        },
    )
    if on_gave_up is not None:
        await on_gave_up(event, error, permanent)
    await delivery.term()


async def _acknowledge(delivery: Delivery, event: ReceivedEvent, within: float) -> None:
    """Acks and waits for the server to confirm, retrying while the consumer has no leader
    (an R3 consumer's new leader knows the message is pending). Unconfirmed within `within`
    (the ack wait), the message is redelivered anyway: the handler's effects are idempotent."""
    try:
        await _waiting_out_elections(
            "consumer did not confirm the ack",
            event.subject,
            functools.partial(delivery.ack_sync, timeout=PUBLISH_TIMEOUT_SECONDS),
            within=within,
        )
    except TimeoutError:
        log.warning(
            "ack not confirmed; the event will be redelivered",
            extra={"subject": event.subject, "attempt": event.attempt},
        )


async def _waiting_out_elections(
    what: str,
    subject: str,
    request: Callable[[], Awaitable[object]],
    *,
    within: float = PUBLISH_RETRY_SECONDS,
) -> None:
    """Makes a JetStream API `request`, again while the cluster has no leader to answer it
    (an election after a node's death, or a cluster still forming at start-up); a refusal
    with a reason raises at once, silence raises TimeoutError after `within` seconds."""
    async with asyncio.timeout(within):
        attempt = 0
        while True:
            try:
                await request()
                return
            except _LEADERLESS_ERRORS as exc:
                attempt += 1
                _log_leaderless(what, subject, attempt, exc)
                await asyncio.sleep(_backoff(attempt))


def _backoff(attempt: int) -> float:
    return _PUBLISH_BACKOFF_SECONDS[min(attempt, len(_PUBLISH_BACKOFF_SECONDS)) - 1]


def _log_leaderless(what: str, subject: str, attempt: int, error: Exception) -> None:
    # At warning level once per message: an election makes it retry many times.
    log.log(
        logging.WARNING if attempt == 1 else logging.DEBUG,
        f"{what}; retrying",
        extra={"subject": subject, "attempt": attempt, "error": repr(error)},
    )


async def _keep_alive(delivery: Delivery, every: float) -> None:
    """Tells JetStream a long job is alive so it is not redelivered meanwhile."""
    while True:
        await asyncio.sleep(every)
        try:
            await delivery.in_progress()
        except Exception:
            log.debug("in_progress heartbeat failed", exc_info=True)
