"""The SQL of the resumable upload RPCs: a session's row from StartUpload until it is
finished, rejected or expired (its bytes are spooled to `spool_path` meanwhile)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from services.kernel.db import Database
from services.library.limits import LimitGuard
from services.library.row_store import SqlRows
from services.library.store import UploadSessionRow


class SqlUploadSessions(SqlRows[UploadSessionRow]):
    model = UploadSessionRow

    def __init__(self, db: Database, limits: LimitGuard) -> None:
        super().__init__(db)
        self._limits = limits

    async def open(self, row: UploadSessionRow) -> UploadSessionRow:
        """Stores a new session once the owner's quota admits its declared size."""
        async with self._db.session() as session:
            # The quota binds here: a session's declared size counts from its start.
            await self._limits.admit_upload_session(session, row.owner_id, row.size_bytes)
            session.add(row)
        return row

    async def open_of_request(
        self, owner_id: str, request_id: str, now: datetime
    ) -> UploadSessionRow | None:
        """The owner's unexpired session started with `request_id` (a user has few open
        sessions: the quota counts their declared sizes)."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(UploadSessionRow).where(
                    UploadSessionRow.owner_id == owner_id, UploadSessionRow.expire_time > now
                )
            )
            return next((r for r in rows if r.metadata_json.get("request_id") == request_id), None)

    async def expired(self, now: datetime) -> list[UploadSessionRow]:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(UploadSessionRow).where(UploadSessionRow.expire_time <= now)
            )
            return list(rows)

    async def set_received(self, upload_id: str, received_bytes: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(UploadSessionRow)
                .where(UploadSessionRow.id == upload_id)
                .values(received_bytes=received_bytes)
            )
