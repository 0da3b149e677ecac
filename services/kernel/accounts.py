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
from collections.abc import Container

from nats.aio.msg import Msg

from services.kernel.catalogue import USER_DELETED
from services.kernel.following import follow_subject
from services.kernel.jetstream import EventBus
from services.kernel.tasks import cancel_and_wait
from speechflow.events.v1 import events_pb2


class DeletedAccounts(Container[str]):
    """User ids auth has deleted; `user_id in deleted` is what the token verifier asks."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._follower: asyncio.Task[object] | None = None

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._ids

    def add(self, user_id: str) -> None:
        self._ids.add(user_id)

    def follow(self, bus: EventBus) -> None:
        """Replays and then follows the deletions in the background (every replica sees every
        deletion)."""

        async def on_message(msg: Msg) -> None:
            deleted = events_pb2.UserDeleted.FromString(msg.data)
            if deleted.user_id:
                self.add(deleted.user_id)

        self._follower = asyncio.create_task(follow_subject(bus, USER_DELETED, on_message))

    async def stop(self) -> None:
        if self._follower is not None:
            await cancel_and_wait([self._follower])
