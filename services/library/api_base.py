"""Shared state, lookups and helpers of the LibraryService parts (folders, uploads,
documents, downloads)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from services.kernel.db import Database
from services.kernel.errors import (
    InvalidArgument,
    NotFound,
)
from services.kernel.outbox import Outbox
from services.kernel.storage import (
    ObjectStore,
)
from services.kernel.tokens import Principal
from services.library.domain import Status, check_id, quoted
from services.library.folders_store import SqlFolders
from services.library.keyed_locks import KeyedLocks
from services.library.lifecycle.service import Lifecycle
from services.library.lifecycle.sql_queries import SqlDocumentQueries
from services.library.limits import LimitGuard
from services.library.preferences_store import SqlPreferences
from services.library.share_links_store import SqlShareLinks
from services.library.store import DocumentRow, FolderRow
from services.library.templates_store import SqlTemplates
from services.library.upload_sessions_store import SqlUploadSessions
from services.library.uploads import Uploads
from services.library.watch import WatchHub

Context = grpc.aio.ServicerContext[Any, Any]
DOWNLOAD_CHUNK_BYTES = 1024 * 1024
FOLDER_MASK_PATHS = {"name"}
DOCUMENT_MASK_PATHS = {"title", "folder_id"}
TERMINAL = {int(Status.COMPLETED), int(Status.FAILED)}


def require_id(value: str, field: str) -> str:
    """Checked before any lookup or lock (see domain.check_id)."""
    return check_id(value, field)


def check_mask(paths: list[str], allowed: set[str]) -> list[str]:
    unknown = [p for p in paths if p not in allowed]
    if unknown:
        shown = ", ".join(quoted(p) for p in unknown[:5])
        raise InvalidArgument(
            f"update_mask has paths that cannot be updated: {shown}. "
            f"Allowed: {', '.join(sorted(allowed))}.",
            reason="INVALID_UPDATE_MASK",
        )
    return paths


def masked_or_all(paths: list[str], allowed: set[str]) -> list[str]:
    """What an update changes (AIP-134): its mask's paths, or with no mask every field the
    request can change."""
    return check_mask(paths, allowed) or sorted(allowed)


@dataclass(frozen=True)
class LibraryDependencies:
    """The adapters and limits every LibraryService part shares, assembled once by the
    service's composition root (services/library/app.py, `start_library`)."""

    db: Database
    store: ObjectStore
    outbox: Outbox
    uploads: Uploads
    hub: WatchHub
    lifecycle: Lifecycle
    max_chunk_bytes: int
    session_ttl: timedelta
    download_ttl: timedelta
    download_secret: bytes


class LibraryBase:
    """What every part of LibraryService shares: its adapters and the ownership lookups
    (another user's folder or document is NOT_FOUND, never revealed)."""

    def __init__(self, *, dependencies: LibraryDependencies) -> None:
        self._db = dependencies.db
        self._lifecycle = dependencies.lifecycle
        # Reads and the plain edit; state changes go through the lifecycle.
        self._queries = SqlDocumentQueries(dependencies.db)
        self._folders = SqlFolders(dependencies.db)
        self._preferences = SqlPreferences(dependencies.db)
        self._templates = SqlTemplates(dependencies.db)
        self._share_links = SqlShareLinks(dependencies.db)
        self._upload_sessions = SqlUploadSessions(dependencies.db, dependencies.uploads.guard)
        self._store = dependencies.store
        self._outbox = dependencies.outbox
        self._uploads = dependencies.uploads
        self._hub = dependencies.hub
        self._max_chunk = dependencies.max_chunk_bytes
        self._session_ttl = dependencies.session_ttl
        self._download_ttl = dependencies.download_ttl
        self._download_secret = dependencies.download_secret
        self._upload_locks = KeyedLocks()

    @property
    def limits(self) -> LimitGuard:
        return self._uploads.guard

    async def _owned_folder(self, principal: Principal, folder_id: str) -> FolderRow:
        folder = await self._queries.folder(require_id(folder_id, "folder_id"))
        if folder is None or folder.owner_id != principal.user_id:
            raise NotFound(f"Folder {folder_id} does not exist.", reason="FOLDER_NOT_FOUND")
        return folder

    async def _owned_document(self, principal: Principal, document_id: str) -> DocumentRow:
        document = await self._queries.document(require_id(document_id, "document_id"))
        if document is None or document.owner_id != principal.user_id:
            raise NotFound(f"Document {document_id} does not exist.", reason="DOCUMENT_NOT_FOUND")
        return document


def write_at(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as out:
        out.seek(offset)
        out.write(data)
        out.truncate(offset + len(data))


async def iterate_object(
    store: ObjectStore, key: str, *, start: int = 0, length: int | None = None
) -> AsyncIterator[bytes]:
    """Streams an object (or `length` bytes from `start`) without blocking the event loop;
    one chunk in memory at a time."""
    iterator = iter(
        await asyncio.to_thread(
            lambda: store.iter_chunks(key, DOWNLOAD_CHUNK_BYTES, start=start, length=length)
        )
    )
    sentinel = object()
    try:
        while True:
            chunk = await asyncio.to_thread(next, iterator, sentinel)
            if chunk is sentinel:
                return
            yield chunk  # type: ignore[misc]
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(close)
