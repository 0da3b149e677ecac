"""GDPR: when auth deletes an account (`user.deleted`), remove everything of that user here:
documents, their stored objects, folders, jobs, summary templates and unfinished uploads.
Objects go first, so a crash part-way is finished by the redelivered event; the user's
remaining access tokens are refused from then on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import UTC, datetime

from sqlalchemy import delete, select

from services.kernel import catalogue
from services.kernel.db import Database
from services.kernel.errors import Unauthenticated
from services.kernel.jetstream import ReceivedEvent
from services.kernel.outbox import Outbox
from services.kernel.storage import ObjectStore, document_prefixes
from services.kernel.tokens import Principal, current_principal
from services.library import search_index
from services.library.lifecycle.sql import deleted_message
from services.library.store import (
    DeletedUserRow,
    DocumentRow,
    FolderRow,
    JobRow,
    PreferencesRow,
    SummaryTemplateRow,
    UploadSessionRow,
)
from speechflow.events.v1 import events_pb2

log = logging.getLogger("speechflow.library.accounts")
CONSUMER = catalogue.LIBRARY_ACCOUNT_CONSUMER.spec()


class AccountEvents:
    def __init__(self, db: Database, store: ObjectStore, outbox: Outbox) -> None:
        self._db = db
        self._store = store
        self._outbox = outbox

    async def handle(self, received: ReceivedEvent) -> None:
        user_id = received.parse(events_pb2.UserDeleted).user_id
        async with self._db.session() as session:
            documents = list(
                await session.scalars(select(DocumentRow).where(DocumentRow.owner_id == user_id))
            )
            uploads = list(
                await session.scalars(
                    select(UploadSessionRow).where(UploadSessionRow.owner_id == user_id)
                )
            )
        for document in documents:
            for prefix in document_prefixes(user_id, document.id):
                await asyncio.to_thread(self._store.delete_prefix, prefix)
        for upload in uploads:
            with contextlib.suppress(FileNotFoundError):
                os.remove(upload.spool_path)
        async with self._db.session() as session:
            if await session.get(DeletedUserRow, user_id) is None:
                session.add(DeletedUserRow(user_id=user_id, delete_time=datetime.now(UTC)))
            document_ids = [d.id for d in documents]
            for document in documents:
                # Stages drop the late work of each (and never email about it).
                await self._outbox.add(session, **deleted_message(document))
            if document_ids:
                await session.execute(delete(JobRow).where(JobRow.document_id.in_(document_ids)))
                await search_index.forget(session, document_ids)
            await session.execute(delete(DocumentRow).where(DocumentRow.owner_id == user_id))
            await session.execute(delete(FolderRow).where(FolderRow.owner_id == user_id))
            await session.execute(
                delete(UploadSessionRow).where(UploadSessionRow.owner_id == user_id)
            )
            await session.execute(delete(PreferencesRow).where(PreferencesRow.user_id == user_id))
            await session.execute(
                delete(SummaryTemplateRow).where(SummaryTemplateRow.owner_id == user_id)
            )
        if documents:
            self._outbox.notify()
        log.info("account data deleted", extra={"documents": len(documents)})


async def active_caller(db: Database) -> Principal:
    """The caller, unless their account was deleted (their access token may still be valid
    for a few minutes)."""
    principal = current_principal()
    async with db.session() as session:
        deleted = await session.get(DeletedUserRow, principal.user_id)
    if deleted is not None:
        raise Unauthenticated("This account was deleted.", reason="ACCOUNT_DELETED")
    return principal
