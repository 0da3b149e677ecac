"""The SQL of a user's preferences (the transcription vocabulary); a user who never saved
any has no row."""

from __future__ import annotations

from datetime import datetime

from services.library.row_store import SqlRows
from services.library.store import PreferencesRow


class SqlPreferences(SqlRows[PreferencesRow]):
    model = PreferencesRow

    async def save(
        self, user_id: str, vocabulary: list[str] | None, now: datetime
    ) -> PreferencesRow:
        """Creates the row on first use; `vocabulary` None keeps the saved one."""
        async with self._db.session() as session:
            row = await session.get(PreferencesRow, user_id)
            if row is None:
                row = PreferencesRow(user_id=user_id, vocabulary=[])
                session.add(row)
            if vocabulary is not None:
                row.vocabulary = vocabulary
            row.update_time = now
        return row
