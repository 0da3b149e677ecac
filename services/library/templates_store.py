"""The SQL of the summary template RPCs: an owner's templates by name, and the template's own
rows (create, change, delete). A name used twice by one owner is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from services.library.lifecycle.queries import Page
from services.library.row_store import SqlNamedRows
from services.library.store import SummaryTemplateRow


class SqlTemplates(SqlNamedRows[SummaryTemplateRow]):
    model = SummaryTemplateRow
    name_taken = "You already have a summary template named '{name}'."
    name_taken_reason = "TEMPLATE_NAME_TAKEN"

    async def page(
        self, owner_id: str, size: int, after_name: str | None
    ) -> Page[SummaryTemplateRow]:
        """An owner's templates by name (unique per owner, so the last name is the cursor)."""
        query = (
            select(SummaryTemplateRow)
            .where(SummaryTemplateRow.owner_id == owner_id)
            .order_by(SummaryTemplateRow.name)
            .limit(size + 1)
        )
        if after_name is not None:
            query = query.where(SummaryTemplateRow.name > after_name)
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
        return Page.of(rows, size)

    async def change(
        self,
        template: SummaryTemplateRow,
        name: str | None,
        instructions: str | None,
        now: datetime,
    ) -> SummaryTemplateRow | None:
        """The changed template (None keeps a field), or None if it is gone."""
        with self.name_unique(name or template.name):
            async with self._db.session() as session:
                row = await session.get(SummaryTemplateRow, template.id)
                if row is None:
                    return None
                if name is not None:
                    row.name = name
                if instructions is not None:
                    row.instructions = instructions
                row.update_time = now
        return row
