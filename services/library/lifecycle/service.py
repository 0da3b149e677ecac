"""The library's service layer: every command that changes a document's lifecycle goes
through `Lifecycle`, which runs the handlers in units of work. It knows the ports only; the
bootstrap (services/library/lifecycle/bootstrap.py) gives it the adapters, tests give fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.library.lifecycle import handlers
from services.library.lifecycle.errors import DocumentNotFound
from services.library.lifecycle.handlers import StageReport, StartVersion
from services.library.lifecycle.model import Document, Outcome
from services.library.lifecycle.ports import (
    Clock,
    IdFactory,
    Sweeper,
    UnitOfWork,
    UnitOfWorkFactory,
)


def new_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


class Lifecycle:
    def __init__(
        self,
        *,
        units: UnitOfWorkFactory,
        sweeper: Sweeper,
        clock: Clock = utc_now,
        ids: IdFactory = new_id,
    ) -> None:
        self.units = units
        self._sweeper = sweeper
        self._clock = clock
        self._ids = ids

    def unit(self, document_id: str) -> UnitOfWork:
        """A unit of work on one document, for a caller that changes its data as well (an
        edit saves its transcript revision and starts the re-render in one)."""
        return self.units(document_id)

    async def start_version(self, command: StartVersion) -> Document:
        async with self.units(command.document_id) as uow:
            return await self.start_version_in(uow, command)

    async def start_version_in(self, uow: UnitOfWork, command: StartVersion) -> Document:
        return await handlers.start_version(uow, command, clock=self._clock, new_id=self._ids)

    async def apply(self, report: StageReport) -> Outcome | None:
        return await handlers.apply_report(self.units, self._sweeper, report, clock=self._clock)

    async def delete(self, document_id: str) -> None:
        """Removes the document and publishes `document.deleted` in one transaction (stages
        drop its late work), then its stored objects."""
        async with self.units(document_id) as uow:
            document = await uow.documents.get(document_id)
            if document is None:
                raise DocumentNotFound(document_id)
            await uow.documents.remove(document)
        await self._sweeper.sweep_document(document.owner_id, document.id)
