"""Which document versions are still current, so a stage drops the late work of a superseded
version or of a deleted document instead of writing its output or sending its email.

A regenerate or a retry makes a new version while a stage may still be working on the old
one; a deletion (of the document or of its owner's account) may land mid-job. The library
publishes `document.changed` (with the version) after every committed change and
`document.deleted` once a document is gone, so each stage replica replays and follows both —
like the deleted accounts (services/kernel/accounts.py) — and asks before its side effects.
Events rather than asking the library: a stage keeps working while the library restarts, and
asking costs no round trip.

Memory is bounded: the most recently seen documents are kept (least recently seen dropped
first). A document that is not known is treated as current, which is what every stage did
before this existed; the library also sweeps whatever a late stage still wrote.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from nats.aio.msg import Msg
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from services.kernel.catalogue import DOCUMENT_CHANGED, DOCUMENT_DELETED, LIBRARY
from services.kernel.following import follow_subject
from services.kernel.jetstream import EventBus, producer_stream
from services.kernel.tasks import cancel_and_wait
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.versions")

# ~100 bytes an entry: a few MB per process at most.
DEFAULT_CAPACITY = 50_000
# How long a stage waits, before its first side effect, for the replay to reach the stream's
# end; after that it decides on what it knows (it never blocks a job for good).
CATCH_UP_SECONDS = 10.0
_DELETED = -1


class CurrentVersions(Protocol):
    """What a stage worker asks before it writes an output or sends an email."""

    async def still_current(self, job: events_pb2.JobContext, before: str) -> bool: ...

    async def wait_until_stale(self, job: events_pb2.JobContext) -> None: ...


class EveryVersionCurrent:
    """For a worker used on its own (tests, previews): nothing is ever superseded."""

    async def still_current(self, job: events_pb2.JobContext, before: str) -> bool:
        return True

    async def wait_until_stale(self, job: events_pb2.JobContext) -> None:
        await asyncio.Event().wait()  # never


@asynccontextmanager
async def stale_flag(
    versions: CurrentVersions, job: events_pb2.JobContext
) -> AsyncIterator[threading.Event]:
    """A flag set once `job`'s version is superseded or its document deleted, for blocking
    work in a thread to check between its steps (and stop early)."""
    stale = threading.Event()

    async def watch() -> None:
        await versions.wait_until_stale(job)
        stale.set()

    watcher = asyncio.create_task(watch())
    try:
        yield stale
    finally:
        await cancel_and_wait([watcher])


class DocumentVersions:
    """The latest version seen of each recent document, and which ones were deleted."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        # document id -> latest version, or _DELETED
        self._latest: OrderedDict[str, int] = OrderedDict()
        subjects = (DOCUMENT_CHANGED, DOCUMENT_DELETED)
        self._caught_up = {subject: asyncio.Event() for subject in subjects}
        # Per subject: the stream sequence of its last message when we subscribed, and of the
        # last message applied since.
        self._replay_end: dict[str, int] = {}
        self._applied: dict[str, int] = dict.fromkeys(subjects, 0)
        self._learned = asyncio.Condition()
        self._subscriptions: list[JetStreamContext.PushSubscription] = []
        self._followers: list[asyncio.Task[None]] = []

    def changed(self, document_id: str, version: int) -> None:
        known = self._latest.get(document_id)
        if known == _DELETED:
            return  # a change committed before the deletion, replayed after it
        self._remember(document_id, max(version, known or 0))

    def deleted(self, document_id: str) -> None:
        self._remember(document_id, _DELETED)

    def is_current(self, document_id: str, version: int) -> bool:
        known = self._latest.get(document_id)
        if known is None:
            return True
        return known != _DELETED and version >= known

    async def still_current(self, job: events_pb2.JobContext, before: str) -> bool:
        """Whether `job` may go on to `before` (e.g. "writing the PDF"); logs why not."""
        await self._wait_for_replay()
        if self.is_current(job.document_id, job.version):
            return True
        known = self._latest.get(job.document_id)
        reason = "document deleted" if known == _DELETED else f"version {known} is current"
        log.info(
            "dropping late work",
            extra={
                "document_id": job.document_id,
                "version": job.version,
                "reason": reason,
                "before": before,
            },
        )
        return False

    async def wait_until_stale(self, job: events_pb2.JobContext) -> None:
        """Returns once `job`'s version is superseded or its document deleted (a long job
        can race its work against this and stop early)."""
        async with self._learned:
            await self._learned.wait_for(lambda: not self.is_current(job.document_id, job.version))

    def follow(self, bus: EventBus) -> None:
        """Replays and then follows `document.changed` and `document.deleted` in the
        background."""
        self._followers = [
            asyncio.create_task(self._follow(bus, DOCUMENT_CHANGED, self._on_changed)),
            asyncio.create_task(self._follow(bus, DOCUMENT_DELETED, self._on_deleted)),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._followers)
        for subscription in self._subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception:
                log.debug("could not unsubscribe", exc_info=True)

    def _remember(self, document_id: str, version: int) -> None:
        self._latest[document_id] = version
        self._latest.move_to_end(document_id)
        while len(self._latest) > self._capacity:
            self._latest.popitem(last=False)

    async def _on_changed(self, msg: Msg) -> None:
        event = events_pb2.DocumentChanged.FromString(msg.data)
        if event.document_id:
            self.changed(event.document_id, event.version)
        await self._note_progress(DOCUMENT_CHANGED, msg)

    async def _on_deleted(self, msg: Msg) -> None:
        event = events_pb2.DocumentDeleted.FromString(msg.data)
        if event.document_id:
            self.deleted(event.document_id)
        await self._note_progress(DOCUMENT_DELETED, msg)

    async def _note_progress(self, subject: str, msg: Msg) -> None:
        self._applied[subject] = max(self._applied[subject], msg.metadata.sequence.stream)
        self._check_replayed(subject)
        async with self._learned:
            self._learned.notify_all()

    def _check_replayed(self, subject: str) -> None:
        end = self._replay_end.get(subject)
        if end is not None and self._applied[subject] >= end:
            self._caught_up[subject].set()

    async def _follow(self, bus: EventBus, subject: str, on_message: _OnMessage) -> None:
        subscription = await follow_subject(bus, subject, on_message)
        self._subscriptions.append(subscription)
        try:
            last = await bus.js.get_last_msg(producer_stream(LIBRARY).name, subject)
        except NotFoundError:
            self._replay_end[subject] = 0  # nothing to replay
        except Exception as error:
            # Decide on what arrives rather than make every job wait for a replay end that
            # cannot be known.
            log.warning(
                "cannot tell where the replay ends",
                extra={"subject": subject, "error": str(error)},
            )
            self._caught_up[subject].set()
            return
        else:
            self._replay_end[subject] = last.seq or 0
        self._check_replayed(subject)

    async def _wait_for_replay(self) -> None:
        if not self._followers or all(event.is_set() for event in self._caught_up.values()):
            return
        try:
            async with asyncio.timeout(CATCH_UP_SECONDS):
                for event in self._caught_up.values():
                    await event.wait()
        except TimeoutError:
            log.warning(
                "document versions not replayed yet; deciding on what is known",
                extra={"waited_seconds": CATCH_UP_SECONDS},
            )
            for event in self._caught_up.values():
                event.set()  # one wait per process, not one per job


class _OnMessage(Protocol):
    async def __call__(self, msg: Msg) -> None: ...
