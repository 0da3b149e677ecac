"""LibraryService summary template RPCs: create, read, list (by name), change, delete."""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.errors import NotFound
from services.kernel.protos import timestamp
from services.library.accounts import active_caller
from services.library.api_base import Context, LibraryBase, masked_or_all
from services.library.pages import Paging
from services.library.store import SummaryTemplateRow
from services.library.templates import clean_instructions, clean_template_name, owned_template
from speechflow.library.v1 import library_pb2

TEMPLATE_MASK_PATHS = {"name", "instructions"}


def template_message(row: SummaryTemplateRow) -> library_pb2.SummaryTemplate:
    return library_pb2.SummaryTemplate(
        id=row.id,
        name=row.name,
        instructions=row.instructions,
        create_time=timestamp(row.create_time),
        update_time=timestamp(row.update_time),
    )


class TemplateRpcs(LibraryBase):
    async def _callers_template(self, template_id: str) -> SummaryTemplateRow:
        """The caller's template (NOT_FOUND for anyone else's)."""
        return await owned_template(self._db, await active_caller(self._db), template_id)

    async def CreateSummaryTemplate(
        self, request: library_pb2.CreateSummaryTemplateRequest, context: Context
    ) -> library_pb2.CreateSummaryTemplateResponse:
        principal = await active_caller(self._db)
        name = clean_template_name(request.summary_template.name)
        instructions = clean_instructions(request.summary_template.instructions)
        row = await self._templates.create(
            principal.user_id, name, datetime.now(UTC), instructions=instructions
        )
        return library_pb2.CreateSummaryTemplateResponse(summary_template=template_message(row))

    async def GetSummaryTemplate(
        self, request: library_pb2.GetSummaryTemplateRequest, context: Context
    ) -> library_pb2.GetSummaryTemplateResponse:
        template = await self._callers_template(request.summary_template_id)
        return library_pb2.GetSummaryTemplateResponse(summary_template=template_message(template))

    async def ListSummaryTemplates(
        self, request: library_pb2.ListSummaryTemplatesRequest, context: Context
    ) -> library_pb2.ListSummaryTemplatesResponse:
        principal = await active_caller(self._db)
        paging = Paging.of(request, "summary-templates", principal.user_id)
        page = await self._templates.page(principal.user_id, paging.size, paging.after_name())
        return library_pb2.ListSummaryTemplatesResponse(
            summary_templates=[template_message(row) for row in page.rows],
            next_page_token=paging.next_name_token(page.last),
        )

    async def UpdateSummaryTemplate(
        self, request: library_pb2.UpdateSummaryTemplateRequest, context: Context
    ) -> library_pb2.UpdateSummaryTemplateResponse:
        principal = await active_caller(self._db)
        paths = masked_or_all(list(request.update_mask.paths), TEMPLATE_MASK_PATHS)
        template = await owned_template(self._db, principal, request.summary_template.id)
        name = clean_template_name(request.summary_template.name) if "name" in paths else None
        instructions = (
            clean_instructions(request.summary_template.instructions)
            if "instructions" in paths
            else None
        )
        changed = await self._templates.change(template, name, instructions, datetime.now(UTC))
        if changed is None:
            raise NotFound(
                f"Summary template {template.id} does not exist.",
                reason="SUMMARY_TEMPLATE_NOT_FOUND",
            )
        return library_pb2.UpdateSummaryTemplateResponse(summary_template=template_message(changed))

    async def DeleteSummaryTemplate(
        self, request: library_pb2.DeleteSummaryTemplateRequest, context: Context
    ) -> library_pb2.DeleteSummaryTemplateResponse:
        template = await self._callers_template(request.summary_template_id)
        # Documents keep the summaries (and the instructions) they were made with.
        await self._templates.delete(template.id)
        return library_pb2.DeleteSummaryTemplateResponse()
