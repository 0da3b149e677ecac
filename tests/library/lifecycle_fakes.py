"""In-memory fakes of the lifecycle's ports (services/library/lifecycle/ports.py), for the
fast unit tests: a transaction is a deep copy committed back on success."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType

from services.library.lifecycle.model import Document, DomainEvent, Job
from services.library.lifecycle.ports import VersionSettings
from services.library.lifecycle.service import Lifecycle

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """Each reading is one second after the one before."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=next(self._ticks))


class FakeIds:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def __call__(self) -> str:
        return f"job-{next(self._numbers)}"


@dataclass
class Committed:
    """What a committed unit of work published: (document id, version, domain event)."""

    document_id: str
    version: int
    event: DomainEvent


@dataclass
class FakeDatabase:
    documents: dict[str, Document] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    settings: dict[str, VersionSettings] = field(default_factory=dict)
    outputs: dict[str, list[object]] = field(default_factory=dict)
    applied_events: set[str] = field(default_factory=set)
    outbox: list[Committed] = field(default_factory=list)
    changes: list[tuple[str, int]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # The keys each document serves (what `keys_in_use` answers).
    served: dict[str, set[str]] = field(default_factory=dict)

    def add(self, document: Document) -> None:
        """A document as an upload leaves it (its first command already 'published')."""
        for event in document.events:
            self.outbox.append(Committed(document.id, document.version, event))
        document.events.clear()
        document.changed = False
        self.documents[document.id] = document
        self.jobs[document.job.id] = document.job

    def commands(self, document_id: str) -> list[DomainEvent]:
        return [c.event for c in self.outbox if c.document_id == document_id]


class FakeDocuments:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.held: dict[str, Document] = {}
        self.settings: dict[str, VersionSettings] = {}
        self.outputs: dict[str, list[object]] = {}
        self.removed: list[Document] = []

    async def get(self, document_id: str) -> Document | None:
        if document_id not in self.held:
            stored = self._db.documents.get(document_id)
            if stored is None:
                return None
            self.held[document_id] = copy.deepcopy(stored)
        return self.held[document_id]

    async def get_job(self, job_id: str) -> Job | None:
        for document in self.held.values():
            if document.job.id == job_id:
                return document.job
        stored = self._db.jobs.get(job_id)
        return copy.deepcopy(stored) if stored is not None else None

    def change_settings(self, document: Document, settings: VersionSettings) -> None:
        self.settings[document.id] = settings

    async def record_outputs(self, document: Document, outputs: object) -> None:
        self.outputs.setdefault(document.id, []).append(outputs)

    def keys_in_use(self, document: Document) -> frozenset[str]:
        return frozenset(self._db.served.get(document.id, ()))

    async def remove(self, document: Document) -> None:
        self.held.pop(document.id)
        self.removed.append(document)


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase, fail_on_commit: bool = False) -> None:
        self._db = db
        self._fail = fail_on_commit
        self.documents = FakeDocuments(db)
        self._events: set[str] = set()

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            return  # rolled back: nothing of it is kept
        if self._fail:
            raise ConnectionError("the database went away at commit")
        for document in self.documents.held.values():
            if not document.changed:
                continue
            for event in document.events:
                self._db.outbox.append(Committed(document.id, document.version, event))
            self._db.changes.append((document.id, document.version))
            document.events.clear()
            document.changed = False
            self._db.documents[document.id] = document
            self._db.jobs[document.job.id] = document.job
        for document in self.documents.removed:
            del self._db.documents[document.id]
            self._db.removed.append(document.id)
        self._db.settings.update(self.documents.settings)
        for document_id, outputs in self.documents.outputs.items():
            self._db.outputs.setdefault(document_id, []).extend(outputs)
        self._db.applied_events |= self._events

    async def first_time(self, event_id: str, subject: str) -> bool:
        if event_id in self._db.applied_events or event_id in self._events:
            return False
        self._events.add(event_id)
        return True


class FakeUnits:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.fail_next_commit = False

    def __call__(self, document_id: str) -> FakeUnitOfWork:
        fail, self.fail_next_commit = self.fail_next_commit, False
        return FakeUnitOfWork(self.db, fail_on_commit=fail)


@dataclass
class FakeSweeper:
    keys: list[str] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)

    async def sweep_keys(self, keys: Iterable[str]) -> None:
        self.keys.extend(keys)

    async def sweep_document(self, owner_id: str, document_id: str) -> None:
        self.documents.append((owner_id, document_id))


@dataclass
class FakeLifecycle:
    lifecycle: Lifecycle
    units: FakeUnits
    sweeper: FakeSweeper
    clock: FakeClock

    @property
    def db(self) -> FakeDatabase:
        return self.units.db

    def upload(self, document_id: str = "doc-1", owner_id: str = "owner-1") -> Document:
        document = Document.accepted(document_id, owner_id, f"{document_id}-job-1", self.clock())
        self.db.add(document)
        return self.db.documents[document_id]


def fake_lifecycle() -> FakeLifecycle:
    units, sweeper, clock = FakeUnits(FakeDatabase()), FakeSweeper(), FakeClock()
    lifecycle = Lifecycle(units=units, sweeper=sweeper, clock=clock, ids=FakeIds())
    return FakeLifecycle(lifecycle, units, sweeper, clock)
