"""LibraryService summary template RPCs: create, read, list (by name), change, delete."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.kernel.errors import AlreadyExists, InvalidArgument, NotFound
from services.kernel.protos import timestamp
from services.library.accounts import active_caller
from services.library.api_base import Context, LibraryBase, check_mask
from services.library.pages import MAX_TOKEN_LENGTH, page_size, query_fingerprint
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


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(
        f"You already have a summary template named '{name}'.", reason="TEMPLATE_NAME_TAKEN"
    )


# Templates are listed by name, which is unique per user, so the last name seen is the whole
# cursor (pages.py's cursors are (create_time, id) for lists in upload order).
def _encode_name_token(name: str, fingerprint: str) -> str:
    payload = json.dumps({"n": name, "q": fingerprint}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_name_token(token: str, fingerprint: str) -> str | None:
    if not token:
        return None
    invalid = InvalidArgument(
        "The page token is not valid; start again without one.", reason="INVALID_PAGE_TOKEN"
    )
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        name, same_query = payload["n"], payload["q"] == fingerprint
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise invalid from exc
    if not isinstance(name, str):
        raise invalid
    if not same_query:
        raise InvalidArgument(
            "The page token belongs to a different query; start again without one.",
            reason="PAGE_TOKEN_MISMATCH",
        )
    return name


class TemplateRpcs(LibraryBase):
    async def CreateSummaryTemplate(
        self, request: library_pb2.CreateSummaryTemplateRequest, context: Context
    ) -> library_pb2.CreateSummaryTemplateResponse:
        principal = await active_caller(self._db)
        name = clean_template_name(request.summary_template.name)
        instructions = clean_instructions(request.summary_template.instructions)
        now = datetime.now(UTC)
        row = SummaryTemplateRow(
            owner_id=principal.user_id,
            name=name,
            instructions=instructions,
            create_time=now,
            update_time=now,
        )
        try:
            async with self._db.session() as session:
                session.add(row)
        except IntegrityError as exc:
            raise _name_taken(name) from exc
        return library_pb2.CreateSummaryTemplateResponse(summary_template=template_message(row))

    async def GetSummaryTemplate(
        self, request: library_pb2.GetSummaryTemplateRequest, context: Context
    ) -> library_pb2.GetSummaryTemplateResponse:
        principal = await active_caller(self._db)
        row = await owned_template(self._db, principal, request.summary_template_id)
        return library_pb2.GetSummaryTemplateResponse(summary_template=template_message(row))

    async def ListSummaryTemplates(
        self, request: library_pb2.ListSummaryTemplatesRequest, context: Context
    ) -> library_pb2.ListSummaryTemplatesResponse:
        principal = await active_caller(self._db)
        size = page_size(request.page_size)
        fingerprint = query_fingerprint("summary-templates", principal.user_id)
        after = _decode_name_token(request.page_token, fingerprint)
        query = (
            select(SummaryTemplateRow)
            .where(SummaryTemplateRow.owner_id == principal.user_id)
            .order_by(SummaryTemplateRow.name)
            .limit(size + 1)
        )
        if after is not None:
            query = query.where(SummaryTemplateRow.name > after)
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
        page = rows[:size]
        token = _encode_name_token(page[-1].name, fingerprint) if len(rows) > size else ""
        return library_pb2.ListSummaryTemplatesResponse(
            summary_templates=[template_message(row) for row in page], next_page_token=token
        )

    async def UpdateSummaryTemplate(
        self, request: library_pb2.UpdateSummaryTemplateRequest, context: Context
    ) -> library_pb2.UpdateSummaryTemplateResponse:
        principal = await active_caller(self._db)
        # AIP-134: no mask means every field the request can change.
        paths = check_mask(list(request.update_mask.paths), TEMPLATE_MASK_PATHS) or sorted(
            TEMPLATE_MASK_PATHS
        )
        template = await owned_template(self._db, principal, request.summary_template.id)
        name = clean_template_name(request.summary_template.name) if "name" in paths else None
        instructions = (
            clean_instructions(request.summary_template.instructions)
            if "instructions" in paths
            else None
        )
        try:
            async with self._db.session() as session:
                row = await session.get(SummaryTemplateRow, template.id)
                if row is None:
                    raise NotFound(
                        f"Summary template {template.id} does not exist.",
                        reason="SUMMARY_TEMPLATE_NOT_FOUND",
                    )
                if name is not None:
                    row.name = name
                if instructions is not None:
                    row.instructions = instructions
                row.update_time = datetime.now(UTC)
                template = row
        except IntegrityError as exc:
            raise _name_taken(name or template.name) from exc
        return library_pb2.UpdateSummaryTemplateResponse(
            summary_template=template_message(template)
        )

    async def DeleteSummaryTemplate(
        self, request: library_pb2.DeleteSummaryTemplateRequest, context: Context
    ) -> library_pb2.DeleteSummaryTemplateResponse:
        principal = await active_caller(self._db)
        template = await owned_template(self._db, principal, request.summary_template_id)
        # Documents keep the summaries (and the instructions) they were made with.
        async with self._db.session() as session:
            row = await session.get(SummaryTemplateRow, template.id)
            if row is not None:
                await session.delete(row)
        return library_pb2.DeleteSummaryTemplateResponse()
