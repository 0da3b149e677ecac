"""LibraryService share-link RPCs: the owner creates, lists and revokes links to a document;
anyone holding a link's token reads that one document (declared public in app.py, rate
limited per client address) until the link expires or is revoked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api import httpbody_pb2

from services.kernel.errors import InvalidArgument, NotFound
from services.kernel.protos import timestamp
from services.kernel.transcripts import duration
from services.library import share_links
from services.library.accounts import active_caller
from services.library.api_base import Context, require_id
from services.library.downloads_api import DownloadRpcs
from services.library.edits_api import stored_transcript
from services.library.exports import ExportedFile, ExportFormat
from services.library.exports_api import (
    ExportRpcs,
    export_bodies,
    export_messages,
    format_of_enum,
    format_of_name,
)
from services.library.share_links_store import ShareLinkRow
from services.library.share_links_throttle import ClientThrottle, client_address
from services.library.store import DocumentRow
from services.library.summaries import summary_from_json
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.share_links")

SHARED_FILE_KINDS = {library_pb2.FILE_KIND_PDF, library_pb2.FILE_KIND_ORIGINAL}


@dataclass(frozen=True)
class ShareLinkSettings:
    public_base_url: str
    reads_per_minute: int


def _link_message(row: ShareLinkRow, url: str = "") -> library_pb2.ShareLink:
    message = library_pb2.ShareLink(
        id=row.id,
        document_id=row.document_id,
        url=url,
        expire_time=timestamp(row.expire_time),
        create_time=timestamp(row.create_time),
        revoked=row.revoked,
    )
    if row.last_use_time is not None:
        message.last_use_time.CopyFrom(timestamp(row.last_use_time))
    return message


def _shared_document(document: DocumentRow, link: ShareLinkRow) -> library_pb2.SharedDocument:
    return library_pb2.SharedDocument(
        title=document.title,
        duration=duration(document.duration_seconds),
        status=library_pb2.DocumentStatus.ValueType(document.status),
        summary=summary_from_json(document.summary),
        content_type=document.content_type,
        has_pdf=bool(document.pdf_key),
        create_time=timestamp(document.create_time),
        expire_time=timestamp(link.expire_time),
        language=document.language or document.detected_language,
    )


class ShareLinkRpcs(DownloadRpcs, ExportRpcs):
    def __init__(self, *, share_links: ShareLinkSettings, **base: Any) -> None:
        super().__init__(**base)
        self._share_settings = share_links
        self._share_throttle = ClientThrottle(share_links.reads_per_minute, timedelta(minutes=1))

    # The owner's side.

    async def CreateShareLink(
        self, request: library_pb2.CreateShareLinkRequest, context: Context
    ) -> library_pb2.CreateShareLinkResponse:
        principal = await active_caller(self._db)
        ttl = share_links.link_ttl(request.ttl.ToTimedelta() if request.HasField("ttl") else None)
        document = await self._owned_document(principal, request.document_id)
        token = share_links.new_token()
        row = await self._share_links.create(
            document.id, principal.user_id, share_links.token_hash(token), datetime.now(UTC), ttl
        )
        log.info(
            "share link created",
            extra={
                "document_id": document.id,
                "share_link_id": row.id,
                "ttl_seconds": int(ttl.total_seconds()),
            },
        )
        url = share_links.share_url(self._share_settings.public_base_url, token)
        return library_pb2.CreateShareLinkResponse(share_link=_link_message(row, url))

    async def ListShareLinks(
        self, request: library_pb2.ListShareLinksRequest, context: Context
    ) -> library_pb2.ListShareLinksResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        links = await self._share_links.of_document(document.id)
        return library_pb2.ListShareLinksResponse(share_links=[_link_message(r) for r in links])

    async def RevokeShareLink(
        self, request: library_pb2.RevokeShareLinkRequest, context: Context
    ) -> library_pb2.RevokeShareLinkResponse:
        principal = await active_caller(self._db)
        link_id = require_id(request.share_link_id, "share_link_id")
        row = await self._share_links.revoke(link_id, principal.user_id)
        if row is None:
            raise NotFound(f"Share link {link_id} does not exist.", reason="SHARE_LINK_NOT_FOUND")
        log.info("share link revoked", extra={"share_link_id": link_id})
        return library_pb2.RevokeShareLinkResponse(share_link=_link_message(row))

    # The holder's side: the token is the credential.

    async def _shared(self, token: str, context: Context) -> tuple[ShareLinkRow, DocumentRow]:
        """The live link of `token` and its document; one answer for every kind of refusal."""
        self._share_throttle.claim(client_address(context))
        digest = share_links.token_hash(share_links.checked_token(token))
        shared = await self._share_links.live(digest, datetime.now(UTC))
        if shared is None:
            raise share_links.link_gone()
        return shared

    async def _shared_export(
        self, token: str, context: Context, kind: ExportFormat
    ) -> ExportedFile:
        _link, document = await self._shared(token, context)
        return await self._export_document(document, kind)

    async def GetSharedDocument(
        self, request: library_pb2.GetSharedDocumentRequest, context: Context
    ) -> library_pb2.GetSharedDocumentResponse:
        link, document = await self._shared(request.token, context)
        response = library_pb2.GetSharedDocumentResponse(document=_shared_document(document, link))
        if document.transcript_key:
            response.transcript.CopyFrom(await stored_transcript(self._store, document))
        return response

    async def ExportSharedDocument(
        self, request: library_pb2.ExportSharedDocumentRequest, context: Context
    ) -> AsyncIterator[library_pb2.ExportSharedDocumentResponse]:
        exported = await self._shared_export(request.token, context, format_of_enum(request.format))
        for message in export_messages(exported, library_pb2.ExportSharedDocumentResponse):
            yield message

    async def ExportSharedDocumentContent(
        self, request: library_pb2.ExportSharedDocumentContentRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        exported = await self._shared_export(request.token, context, format_of_name(request.format))
        async for body in export_bodies(exported, context):
            yield body

    async def GetSharedDownloadUrl(
        self, request: library_pb2.GetSharedDownloadUrlRequest, context: Context
    ) -> library_pb2.GetSharedDownloadUrlResponse:
        if request.kind not in SHARED_FILE_KINDS:
            raise InvalidArgument("Choose a file kind: PDF or ORIGINAL.", reason="INVALID_KIND")
        link, document = await self._shared(request.token, context)
        key, _content_type, name = self._file(document, request.kind)
        # A signed URL outliving the share link would keep the file open after it ended.
        ttl = max(
            timedelta(seconds=1), min(self._download_ttl, link.expire_time - datetime.now(UTC))
        )
        url = await asyncio.to_thread(
            lambda: self._store.presigned_get_url(key, ttl, name, inline=not request.download)
        )
        return library_pb2.GetSharedDownloadUrlResponse(
            url=url, expire_time=timestamp(datetime.now(UTC) + ttl)
        )
