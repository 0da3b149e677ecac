"""Replaying and then following one subject of a stream, in every replica of a service.

An ordered consumer is ephemeral and this process's own: every replica sees every message (a
shared durable would hand each message to one replica only). The producer may start after us,
so a stream that does not exist yet is waited for, with backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from services.kernel.jetstream import EventBus

log = logging.getLogger("speechflow.following")

FIRST_RETRY_SECONDS = 1.0
LAST_RETRY_SECONDS = 30.0


async def follow_subject(
    bus: EventBus, subject: str, on_message: Callable[[Msg], Awaitable[None]]
) -> JetStreamContext.PushSubscription:
    """Subscribes from the stream's first message on; returns once subscribed."""
    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            return await bus.js.subscribe(
                subject, cb=on_message, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
            )
        except NotFoundError:
            pass  # its producer has not declared the stream yet
        except Exception as error:
            log.warning(
                "cannot follow the subject yet; retrying",
                extra={"subject": subject, "error": str(error), "retry_in_seconds": delay},
            )
        await asyncio.sleep(delay)
        delay = min(LAST_RETRY_SECONDS, delay * 2)
