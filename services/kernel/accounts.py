"""Which accounts auth has deleted, so every service refuses their still-unexpired access tokens.

A deleted user's access token stays cryptographically valid until it expires (15 minutes by
default), and services verify tokens locally with auth's public key. Each service therefore
replays auth's `user.deleted` events from JetStream at start and follows them live, and the
token verifier refuses those users. Events rather than asking auth on every call: a stage keeps
answering (and keeps refusing deleted accounts) while auth is briefly down or restarting, calls
cost no extra round trip, and the stream already keeps the deletions for longer than any token
lives. The library keeps its own durable list (services/library/accounts.py) because it also
deletes the user's data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Container

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from services.kernel.catalogue import USER_DELETED
from services.kernel.jetstream import EventBus
from services.kernel.tasks import cancel_and_wait
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.accounts")

_FIRST_RETRY_SECONDS = 1.0
_LAST_RETRY_SECONDS = 30.0


class DeletedAccounts(Container[str]):
    """User ids auth has deleted; `user_id in deleted` is what the token verifier asks."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._follower: asyncio.Task[None] | None = None

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._ids

    def add(self, user_id: str) -> None:
        self._ids.add(user_id)

    def follow(self, bus: EventBus) -> None:
        """Replays and then follows the deletions in the background."""
        self._follower = asyncio.create_task(self._follow(bus))

    async def stop(self) -> None:
        if self._follower is not None:
            await cancel_and_wait([self._follower])

    async def _follow(self, bus: EventBus) -> None:
        async def on_message(msg: Msg) -> None:
            deleted = events_pb2.UserDeleted.FromString(msg.data)
            if deleted.user_id:
                self.add(deleted.user_id)

        # An ordered consumer is ephemeral and this process's own: every replica of a service
        # sees every deletion (a shared durable would hand each event to one replica only).
        delay = _FIRST_RETRY_SECONDS
        while True:
            try:
                await bus.js.subscribe(
                    USER_DELETED,
                    cb=on_message,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.ALL,
                )
                return
            except NotFoundError:
                pass  # auth has not declared its stream yet (it may start after us)
            except Exception as error:
                log.warning(
                    "cannot follow account deletions yet; retrying",
                    extra={"error": str(error), "retry_in_seconds": delay},
                )
            await asyncio.sleep(delay)
            delay = min(_LAST_RETRY_SECONDS, delay * 2)
