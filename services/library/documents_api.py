"""LibraryService document RPCs: read, list, change, delete, watch and regenerate."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from services.kernel.errors import (
    InvalidArgument,
    NotFound,
)
from services.library import domain, summaries
from services.library.accounts import active_caller
from services.library.api_base import (
    DOCUMENT_MASK_PATHS,
    TERMINAL,
    Context,
    LibraryBase,
    check_mask,
    require_id,
)
from services.library.convert import document_message
from services.library.domain import Stage, Status
from services.library.events import document_changed
from services.library.lifecycle.errors import NoTranscript
from services.library.lifecycle.handlers import StartVersion
from services.library.lifecycle.ports import VersionSettings
from services.library.lifecycle.queries import MAX_QUERY_WORDS, DocumentEdit, DocumentListing
from services.library.pages import Paging
from services.library.templates import owned_template
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.documents")
# What WatchDocument sends of a `document.changed`: the fields of the same name.
_WATCHED = [field.name for field in library_pb2.WatchDocumentResponse.DESCRIPTOR.fields]


class DocumentRpcs(LibraryBase):
    async def GetDocument(
        self, request: library_pb2.GetDocumentRequest, context: Context
    ) -> library_pb2.GetDocumentResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        return library_pb2.GetDocumentResponse(document=document_message(document))

    async def ListDocuments(
        self, request: library_pb2.ListDocumentsRequest, context: Context
    ) -> library_pb2.ListDocumentsResponse:
        principal = await active_caller(self._db)
        after = (
            request.create_time_after.ToDatetime(UTC)
            if request.HasField("create_time_after")
            else None
        )
        before = (
            request.create_time_before.ToDatetime(UTC)
            if request.HasField("create_time_before")
            else None
        )
        paging = Paging.of(
            request,
            principal.user_id,
            request.folder_id,
            request.status,
            after,
            before,
            request.query,
        )
        if request.folder_id:
            await self._owned_folder(principal, request.folder_id)
        if request.status and request.status not in library_pb2.DocumentStatus.values():
            raise InvalidArgument("Unknown status filter.", reason="INVALID_STATUS")
        if after is not None and before is not None and after >= before:
            raise InvalidArgument(
                "create_time_after must be earlier than create_time_before.", reason="INVALID_RANGE"
            )
        if len(request.query) > domain.MAX_QUERY_LENGTH:
            raise InvalidArgument(
                f"Keep the search under {domain.MAX_QUERY_LENGTH} characters.",
                reason="QUERY_TOO_LONG",
            )
        page = await self._queries.documents(
            DocumentListing(
                owner_id=principal.user_id,
                size=paging.size,
                folder_id=request.folder_id or None,
                status=int(request.status) or None,
                created_after=after,
                created_before=before,
                words=tuple(request.query.split()[:MAX_QUERY_WORDS]),
                after=paging.cursor(),
            )
        )
        return library_pb2.ListDocumentsResponse(
            documents=[document_message(d) for d in page.rows],
            next_page_token=paging.next_token(page.last),
            total_size=page.total or 0,
        )

    async def UpdateDocument(
        self, request: library_pb2.UpdateDocumentRequest, context: Context
    ) -> library_pb2.UpdateDocumentResponse:
        principal = await active_caller(self._db)
        paths = check_mask(list(request.update_mask.paths), DOCUMENT_MASK_PATHS)
        if not paths:
            raise InvalidArgument(
                "Say what to change in update_mask (title, folder_id).", reason="EMPTY_UPDATE_MASK"
            )
        document = await self._owned_document(principal, request.document.id)
        title = domain.clean_title(request.document.title, "") if "title" in paths else None
        if title == "":
            raise InvalidArgument("The title cannot be empty.", reason="TITLE_REQUIRED")
        folder_id = request.document.folder_id or None
        if "folder_id" in paths and folder_id is not None:
            await self._owned_folder(principal, folder_id)
        edited = await self._queries.edit(
            document.id,
            DocumentEdit(title=title, move="folder_id" in paths, folder_id=folder_id),
            now=datetime.now(UTC),
        )
        if edited is None:
            raise NotFound(f"Document {document.id} does not exist.", reason="DOCUMENT_NOT_FOUND")
        return library_pb2.UpdateDocumentResponse(document=document_message(edited))

    async def DeleteDocument(
        self, request: library_pb2.DeleteDocumentRequest, context: Context
    ) -> library_pb2.DeleteDocumentResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        await self._lifecycle.delete(document.id)
        return library_pb2.DeleteDocumentResponse()

    async def WatchDocument(
        self, request: library_pb2.WatchDocumentRequest, context: Context
    ) -> AsyncIterator[library_pb2.WatchDocumentResponse]:
        principal = await active_caller(self._db)
        document_id = require_id(request.document_id, "document_id")
        # Subscribe before reading the current state, so no change can slip between the two.
        with self._hub.watch(document_id) as changes:
            document = await self._owned_document(principal, document_id)
            last = _watched(document_changed(document))
            version = document.version
            yield last
            if document.status in TERMINAL:
                return
            while True:
                change = await changes.get()
                if change.owner_id != principal.user_id or change.version < version:
                    continue
                if (
                    change.status not in TERMINAL
                    and change.update_time.ToDatetime() < last.update_time.ToDatetime()
                ):
                    continue  # an older state arriving late; a final state always counts
                current = _watched(change)
                version = change.version
                if (current.status, current.progress, current.stage, current.message) != (
                    last.status,
                    last.progress,
                    last.stage,
                    last.message,
                ):
                    yield current
                    last = current
                if current.status in TERMINAL:
                    return

    async def RegenerateDocument(
        self, request: library_pb2.RegenerateDocumentRequest, context: Context
    ) -> library_pb2.RegenerateDocumentResponse:
        principal = await active_caller(self._db)
        document = await self._owned_document(principal, request.document_id)
        # Unset settings keep the document's current ones. `language` is the deprecated name
        # of the summary's language: the recording's own language never changes here.
        requested_language = summaries.clean_summary_language(
            request.summary_language or request.language
        )
        length = domain.check_summary_length(
            request.summary_length, default=domain.SummaryLength(document.summary_length)
        )
        template = (
            await owned_template(self._db, principal, request.summary_template_id)
            if request.summary_template_id
            else None
        )
        if not document.transcript_key:  # checked first: nothing else matters then
            raise NoTranscript()
        summary_language = await self._uploads.check_summary_language(
            requested_language or document.summary_language,
            summaries.recording_language(document),
        )
        await self._uploads.guard.check_regenerate(principal.user_id)
        if document.status == int(Status.PROCESSING) and document.stage != int(Stage.TRANSCRIPTION):
            # Allowed: the new version supersedes the running one, whose late events are ignored.
            log.info("regenerating while processing", extra={"document_id": document.id})
        await self._lifecycle.start_version(
            StartVersion(
                document.id,
                Stage.SUMMARIZATION,
                settings=VersionSettings(
                    summary_length=int(length),
                    summary_language=summary_language,
                    summary_template_id=template.id if template else None,
                    summary_instructions=template.instructions if template else None,
                ),
                notify=request.notify,
                needs_transcript=True,
            )
        )
        document = await self._owned_document(principal, document.id)
        return library_pb2.RegenerateDocumentResponse(document=document_message(document))


def _watched(change: events_pb2.DocumentChanged) -> library_pb2.WatchDocumentResponse:
    """What a watcher sees of a change: the fields the response names, as the change has them
    (not its owner or version)."""
    return library_pb2.WatchDocumentResponse(**{name: getattr(change, name) for name in _WATCHED})
