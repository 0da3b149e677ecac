"""What the command handlers need from the outside world, as protocols: the SQL adapters
(services/library/lifecycle/sql.py) implement them for the service, fakes for the unit tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol

from services.library.lifecycle.model import Document, Job


@dataclass(frozen=True)
class VersionSettings:
    """How a new version's summary is written (None fields keep the current ones)."""

    summary_length: int | None = None
    summary_language: str | None = None
    summary_template_id: str | None = None
    summary_instructions: str | None = None


class Documents(Protocol):
    async def get(self, document_id: str) -> Document | None:
        """The document, held (row lock) until the unit of work ends."""

    async def get_job(self, job_id: str) -> Job | None: ...

    def change_settings(self, document: Document, settings: VersionSettings) -> None:
        """Applies a new version's summary settings to the document's data."""

    async def record_outputs(self, document: Document, outputs: object) -> None:
        """Keeps what a stage produced for the current version (transcript, summary, PDF
        keys, search passages); `outputs` is the stage's event, opaque to the lifecycle."""

    def keys_in_use(self, document: Document) -> frozenset[str]:
        """The stored objects the document serves now (never swept)."""

    async def remove(self, document: Document) -> None:
        """Deletes the document's rows and announces `document.deleted`."""


class UnitOfWork(Protocol):
    """One transaction: the documents it changed and the commands they raised commit
    together (the commands through the outbox), or not at all."""

    @property
    def documents(self) -> Documents: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def first_time(self, event_id: str, subject: str) -> bool:
        """Records the event as applied; False if it already was (a redelivery)."""


class UnitOfWorkFactory(Protocol):
    def __call__(self, document_id: str) -> UnitOfWork:
        """A unit of work serializing on `document_id` (row lock, or a process-local lock
        where the database has no row locks)."""


class Sweeper(Protocol):
    """Removes what a stage wrote for a superseded version or a deleted document."""

    async def sweep_keys(self, keys: Iterable[str]) -> None: ...

    async def sweep_document(self, owner_id: str, document_id: str) -> None: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


class IdFactory(Protocol):
    def __call__(self) -> str: ...
