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
from sqlalchemy import select

from services.kernel.errors import InvalidArgument, NotFound
from services.kernel.protos import timestamp
from services.kernel.storage import content_disposition
from services.kernel.transcripts import duration
from services.library import share_links
from services.library.accounts import active_caller
from services.library.api_base import Context, require_id
from services.library.downloads_api import DownloadRpcs
from services.library.edits_api import stored_transcript
from services.library.exports_api import (
    ExportRpcs,
    export_chunks,
    format_of_enum,
    format_of_name,
)
from services.library.share_links_store import ShareLinkRow
from services.library.share_links_throttle import ClientThrottle, client_address
from services.library.store import DeletedUserRow, DocumentRow
from services.library.summaries import summary_from_json
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.share_links")

# Recording last_use_time on every read would write on every page view; once a minute says
# enough about whether a link is used.
LAST_USE_RESOLUTION = timedelta(minutes=1)
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
        now = datetime.now(UTC)
        row = ShareLinkRow(
            document_id=document.id,
            owner_id=principal.user_id,
            token_hash=share_links.token_hash(token),
            create_time=now,
            expire_time=now + ttl,
            revoked=False,
        )
        async with self._db.session() as session:
            session.add(row)
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
        async with self._db.session() as session:
            rows = await session.scalars(
                select(ShareLinkRow)
                .where(ShareLinkRow.document_id == document.id)
                .order_by(ShareLinkRow.create_time.desc(), ShareLinkRow.id)
            )
            links = [_link_message(row) for row in rows]
        return library_pb2.ListShareLinksResponse(share_links=links)

    async def RevokeShareLink(
        self, request: library_pb2.RevokeShareLinkRequest, context: Context
    ) -> library_pb2.RevokeShareLinkResponse:
        principal = await active_caller(self._db)
        link_id = require_id(request.share_link_id, "share_link_id")
        async with self._db.session() as session:
            row = await session.get(ShareLinkRow, link_id)
            if row is None or row.owner_id != principal.user_id:
                raise NotFound(
                    f"Share link {link_id} does not exist.", reason="SHARE_LINK_NOT_FOUND"
                )
            row.revoked = True
        log.info("share link revoked", extra={"share_link_id": link_id})
        return library_pb2.RevokeShareLinkResponse(share_link=_link_message(row))

    # The holder's side: the token is the credential.

    async def _shared(self, token: str, context: Context) -> tuple[ShareLinkRow, DocumentRow]:
        """The live link of `token` and its document; one answer for every kind of refusal."""
        self._share_throttle.claim(client_address(context))
        digest = share_links.token_hash(share_links.checked_token(token))
        now = datetime.now(UTC)
        async with self._db.session() as session:
            link = await session.scalar(
                select(ShareLinkRow).where(ShareLinkRow.token_hash == digest)
            )
            if link is None or link.revoked or link.expire_time <= now:
                raise share_links.link_gone()
            document = await session.get(DocumentRow, link.document_id)
            if document is None:
                raise share_links.link_gone()
            # The owner's account was deleted and its documents are being removed.
            if await session.get(DeletedUserRow, document.owner_id) is not None:
                raise share_links.link_gone()
            if link.last_use_time is None or now - link.last_use_time >= LAST_USE_RESOLUTION:
                link.last_use_time = now
        return link, document

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
        kind = format_of_enum(request.format)
        _link, document = await self._shared(request.token, context)
        exported = await self._export_document(document, kind)
        for index, chunk in enumerate(export_chunks(exported.data)):
            if index == 0:
                yield library_pb2.ExportSharedDocumentResponse(
                    data=chunk, content_type=exported.content_type, file_name=exported.file_name
                )
            else:
                yield library_pb2.ExportSharedDocumentResponse(data=chunk)

    async def ExportSharedDocumentContent(
        self, request: library_pb2.ExportSharedDocumentContentRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        kind = format_of_name(request.format)
        _link, document = await self._shared(request.token, context)
        exported = await self._export_document(document, kind)
        await context.send_initial_metadata(
            (("content-disposition", content_disposition(exported.file_name)),)
        )
        for chunk in export_chunks(exported.data):
            yield httpbody_pb2.HttpBody(content_type=exported.content_type, data=chunk)

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
