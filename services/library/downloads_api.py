"""LibraryService download RPCs: streams, presigned URLs and signed local links.

Files served over HTTP (GetDocumentContent, DownloadFile) are `inline` (the page shows the
PDF, the player plays the recording) unless the link was made for saving, and answer a
`Range` request with those bytes and a `content-range` header, which the edge turns into a
206 (envoy/envoy.yaml.tmpl): that is what lets a player seek in the original."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.api import httpbody_pb2

from services.kernel.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)
from services.kernel.protos import timestamp
from services.kernel.storage import (
    InvalidDownloadToken,
    ObjectStore,
    content_disposition,
    parse_range,
    verify_local_link,
)
from services.library.accounts import active_caller
from services.library.api_base import (
    Context,
    LibraryBase,
    iterate_object,
)
from services.library.store import DocumentRow
from speechflow.library.v1 import library_pb2


@dataclass(frozen=True)
class _DerivedFile:
    """A file the pipeline makes for a document: there once its stage has run."""

    key: Callable[[DocumentRow], str]
    content_type: str
    extension: str
    not_ready: str
    not_ready_reason: str


_DERIVED_FILES = {
    library_pb2.FILE_KIND_PDF: _DerivedFile(
        lambda document: document.pdf_key,
        "application/pdf",
        "pdf",
        "The PDF is not ready yet; watch the document until it is COMPLETED.",
        "PDF_NOT_READY",
    ),
    library_pb2.FILE_KIND_THUMBNAIL: _DerivedFile(
        lambda document: document.thumbnail_key,
        "image/png",
        "png",
        "The thumbnail is not ready yet; it is made with the PDF.",
        "THUMBNAIL_NOT_READY",
    ),
}


class DownloadRpcs(LibraryBase):
    def _file(self, document: DocumentRow, kind: int) -> tuple[str, str, str]:
        """(key, content type, download name) of a stored file of the document."""
        if kind == library_pb2.FILE_KIND_ORIGINAL:
            return document.original_key, document.content_type, document.original_file_name
        derived = _DERIVED_FILES.get(library_pb2.FileKind.ValueType(kind))
        if derived is None:
            raise InvalidArgument(
                "Choose a file kind: PDF, ORIGINAL or THUMBNAIL.", reason="INVALID_KIND"
            )
        key = derived.key(document)
        if not key:
            raise FailedPrecondition(derived.not_ready, reason=derived.not_ready_reason)
        stem = document.title or document.original_file_name.rsplit(".", 1)[0]
        return key, derived.content_type, f"{stem}.{derived.extension}"

    async def _owned_file(self, document_id: str, kind: int) -> tuple[str, str, str]:
        """`_file` of one of the caller's documents."""
        document = await self._owned_document(await active_caller(self._db), document_id)
        return self._file(document, kind)

    async def DownloadDocument(
        self, request: library_pb2.DownloadDocumentRequest, context: Context
    ) -> AsyncIterator[library_pb2.DownloadDocumentResponse]:
        key, content_type, name = await self._owned_file(request.document_id, request.kind)
        size = await self._stored_size(key)
        first = True
        async for chunk in iterate_object(self._store, key):
            if first:
                yield library_pb2.DownloadDocumentResponse(
                    data=chunk, content_type=content_type, file_name=name, size_bytes=size
                )
                first = False
            else:
                yield library_pb2.DownloadDocumentResponse(data=chunk)

    async def GetDocumentContent(
        self, request: library_pb2.GetDocumentContentRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        key, content_type, name = await self._owned_file(request.document_id, request.kind)
        size = await self._stored_size(key)
        inline = not request.download
        async for body in _served(self._store, context, key, size, content_type, name, inline):
            yield body

    async def _stored_size(self, key: str) -> int:
        info = await asyncio.to_thread(self._store.stat, key)
        if info is None:
            raise NotFound("The stored file is missing.", reason="OBJECT_MISSING")
        return info.size

    async def GetDownloadUrl(
        self, request: library_pb2.GetDownloadUrlRequest, context: Context
    ) -> library_pb2.GetDownloadUrlResponse:
        key, _content_type, name = await self._owned_file(request.document_id, request.kind)
        # Links are for viewing (the PDF box, the player) unless the caller wants to save it.
        inline = not request.download
        url = await asyncio.to_thread(
            lambda: self._store.presigned_get_url(key, self._download_ttl, name, inline=inline)
        )
        return library_pb2.GetDownloadUrlResponse(
            url=url, expire_time=timestamp(datetime.now(UTC) + self._download_ttl)
        )

    async def DownloadFile(
        self, request: library_pb2.DownloadFileRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        try:
            link = verify_local_link(self._download_secret, request.token, datetime.now(UTC))
        except InvalidDownloadToken as exc:
            raise Unauthenticated(str(exc), reason="DOWNLOAD_LINK_INVALID") from exc
        info = await asyncio.to_thread(self._store.stat, link.key)
        if info is None:
            raise NotFound("This file no longer exists.", reason="OBJECT_MISSING")
        content_type = info.content_type or "application/octet-stream"
        async for body in _served(
            self._store, context, link.key, info.size, content_type, link.download_name, link.inline
        ):
            yield body


async def _served(
    store: ObjectStore,
    context: Context,
    key: str,
    size: int,
    content_type: str,
    name: str | None,
    inline: bool,
) -> AsyncIterator[httpbody_pb2.HttpBody]:
    """The file, or the one byte range the caller's `range` header asks for."""
    metadata = dict(context.invocation_metadata() or ())
    wanted = parse_range(str(metadata.get("range", "")), size)
    headers = [("accept-ranges", "bytes")]
    if name:
        headers.append(("content-disposition", content_disposition(name, inline=inline)))
    if wanted is not None:
        headers.append(("content-range", wanted.content_range(size)))
    await context.send_initial_metadata(tuple(headers))
    start, length = (wanted.start, wanted.length) if wanted is not None else (0, None)
    async for chunk in iterate_object(store, key, start=start, length=length):
        yield httpbody_pb2.HttpBody(content_type=content_type, data=chunk)
