"""`speechflow-admin cleanup`: remove what processing and abandoned uploads leave behind.

- `temp/` objects older than 24 h (S3 also has a lifecycle rule for this; local disk has
  nothing else, and the sweep is harmless where the rule already ran);
- resumable upload sessions past their expiry, with their spooled bytes.

`now` is a parameter so tests drive the clock; the CLI passes the real time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from services.kernel.db import sync_url
from services.kernel.storage import TEMP, ObjectStore
from services.library.store import UploadSessionRow

TEMP_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class CleanupReport:
    temp_objects_removed: int
    upload_sessions_removed: int


def remove_stale_temp_objects(
    store: ObjectStore, now: datetime, max_age: timedelta = TEMP_MAX_AGE
) -> int:
    cutoff = now - max_age
    stale = [info.key for info in store.list(f"{TEMP}/") if info.last_modified <= cutoff]
    for key in stale:
        store.delete(key)
    return len(stale)


def remove_abandoned_upload_sessions(library_database_url: str, now: datetime) -> int:
    """Deletes expired sessions and their spool files (what the library's own sweep does,
    for deployments where the library is down or was restored from a backup)."""
    engine = create_engine(sync_url(library_database_url))
    try:
        with Session(engine) as session, session.begin():
            expired = session.scalars(
                select(UploadSessionRow).where(UploadSessionRow.expire_time <= now)
            ).all()
            for row in expired:
                Path(row.spool_path).unlink(missing_ok=True)
                session.delete(row)
            return len(expired)
    finally:
        engine.dispose()


def cleanup(
    store: ObjectStore,
    library_database_url: str,
    now: datetime,
    temp_max_age: timedelta = TEMP_MAX_AGE,
) -> CleanupReport:
    return CleanupReport(
        temp_objects_removed=remove_stale_temp_objects(store, now, temp_max_age),
        upload_sessions_removed=remove_abandoned_upload_sessions(library_database_url, now),
    )
