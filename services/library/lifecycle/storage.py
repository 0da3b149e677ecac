"""The lifecycle's `Sweeper` over the object store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from services.kernel.storage import ObjectStore, document_prefixes


class StoreSweeper:
    """Deletes what late work wrote (after the transaction that decided so committed)."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    async def sweep_keys(self, keys: Iterable[str]) -> None:
        for key in keys:
            await asyncio.to_thread(self._store.delete, key)

    async def sweep_document(self, owner_id: str, document_id: str) -> None:
        for prefix in document_prefixes(owner_id, document_id):
            await asyncio.to_thread(self._store.delete_prefix, prefix)
