"""LibraryService and JobsService servicers: proto <-> library rules, stores and storage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from google.api import httpbody_pb2
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Select, and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from services.kernel.db import Database
from services.kernel.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)
from services.kernel.jetstream import producer_stream
from services.kernel.outbox import Outbox
from services.kernel.storage import (
    InvalidDownloadToken,
    ObjectStore,
    content_disposition,
    document_prefixes,
    verify_local_token,
)
from services.kernel.tokens import Principal, require_admin
from services.library import domain
from services.library.accounts import active_caller
from services.library.convert import document_message, folder_message, job_message
from services.library.domain import STAGE_START_PROGRESS, STAGE_WORDS, JobStatus, Stage, Status
from services.library.events import (
    DOCUMENT_CHANGED,
    STAGE_REQUESTED,
    document_changed,
    job_context,
    timestamp,
)
from services.library.limits import LimitGuard
from services.library.pages import Cursor, decode_token, encode_token, page_size, query_fingerprint
from services.library.store import DocumentRow, FolderRow, JobRow, UploadSessionRow
from services.library.uploads import Uploads, ValidUpload, check_complete
from services.library.watch import WatchHub
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2, library_pb2_grpc

log = logging.getLogger("speechflow.library.api")
Context = grpc.aio.ServicerContext[Any, Any]
DOWNLOAD_CHUNK_BYTES = 1024 * 1024
FOLDER_MASK_PATHS = {"name"}
DOCUMENT_MASK_PATHS = {"title", "folder_id"}
TERMINAL = {int(Status.COMPLETED), int(Status.FAILED)}
FILE_NAMES = {
    library_pb2.FILE_KIND_PDF: "pdf",
    library_pb2.FILE_KIND_ORIGINAL: "original",
    library_pb2.FILE_KIND_THUMBNAIL: "thumbnail",
}


def _require_id(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidArgument(
            f"{field} is required.", reason="ID_REQUIRED", metadata={"field": field}
        )
    return value.strip()


def _check_mask(paths: list[str], allowed: set[str]) -> list[str]:
    unknown = [p for p in paths if p not in allowed]
    if unknown:
        raise InvalidArgument(
            f"update_mask has paths that cannot be updated: {', '.join(unknown)}. "
            f"Allowed: {', '.join(sorted(allowed))}.",
            reason="INVALID_UPDATE_MASK",
        )
    return paths


class LibraryServicer(library_pb2_grpc.LibraryServiceServicer):
    def __init__(
        self,
        *,
        db: Database,
        store: ObjectStore,
        outbox: Outbox,
        uploads: Uploads,
        hub: WatchHub,
        max_chunk_bytes: int,
        session_ttl: timedelta,
        download_ttl: timedelta,
        download_secret: bytes,
    ) -> None:
        self._db = db
        self._store = store
        self._outbox = outbox
        self._uploads = uploads
        self._hub = hub
        self._max_chunk = max_chunk_bytes
        self._session_ttl = session_ttl
        self._download_ttl = download_ttl
        self._download_secret = download_secret
        self._upload_locks: dict[str, asyncio.Lock] = {}

    @property
    def limits(self) -> LimitGuard:
        return self._uploads.guard

    # ---- folders -------------------------------------------------------------------------

    async def _owned_folder(self, principal: Principal, folder_id: str) -> FolderRow:
        async with self._db.session() as session:
            folder = await session.get(FolderRow, _require_id(folder_id, "folder_id"))
        if folder is None or folder.owner_id != principal.user_id:
            raise NotFound(f"Folder {folder_id} does not exist.", reason="FOLDER_NOT_FOUND")
        return folder

    async def _document_count(self, folder_id: str) -> int:
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count()).where(DocumentRow.folder_id == folder_id)
            )
        return int(count or 0)

    async def CreateFolder(
        self, request: library_pb2.CreateFolderRequest, context: Context
    ) -> library_pb2.CreateFolderResponse:
        principal = await active_caller(self._db)
        name = domain.clean_folder_name(request.folder.name)
        now = datetime.now(UTC)
        folder = FolderRow(owner_id=principal.user_id, name=name, create_time=now, update_time=now)
        try:
            async with self._db.session() as session:
                session.add(folder)
        except IntegrityError as exc:
            raise AlreadyExists(
                f"You already have a folder named '{name}'.", reason="FOLDER_NAME_TAKEN"
            ) from exc
        return library_pb2.CreateFolderResponse(folder=folder_message(folder))

    async def GetFolder(
        self, request: library_pb2.GetFolderRequest, context: Context
    ) -> library_pb2.GetFolderResponse:
        folder = await self._owned_folder(await active_caller(self._db), request.folder_id)
        count = await self._document_count(folder.id)
        return library_pb2.GetFolderResponse(folder=folder_message(folder, count))

    async def ListFolders(
        self, request: library_pb2.ListFoldersRequest, context: Context
    ) -> library_pb2.ListFoldersResponse:
        principal = await active_caller(self._db)
        size = page_size(request.page_size)
        fingerprint = query_fingerprint("folders", principal.user_id)
        cursor = decode_token(request.page_token, fingerprint)
        counts = (
            select(DocumentRow.folder_id, func.count().label("n"))
            .where(DocumentRow.owner_id == principal.user_id)
            .group_by(DocumentRow.folder_id)
            .subquery()
        )
        query = (
            select(FolderRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.folder_id == FolderRow.id)
            .where(FolderRow.owner_id == principal.user_id)
            .order_by(FolderRow.create_time.desc(), FolderRow.id.desc())
            .limit(size + 1)
        )
        if cursor is not None:
            query = query.where(_before(FolderRow, cursor))
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        page = rows[:size]
        token = ""
        if len(rows) > size:
            last = page[-1][0]
            token = encode_token(Cursor(last.create_time, last.id), fingerprint)
        return library_pb2.ListFoldersResponse(
            folders=[folder_message(f, int(n)) for f, n in page], next_page_token=token
        )

    async def UpdateFolder(
        self, request: library_pb2.UpdateFolderRequest, context: Context
    ) -> library_pb2.UpdateFolderResponse:
        principal = await active_caller(self._db)
        paths = _check_mask(list(request.update_mask.paths) or ["name"], FOLDER_MASK_PATHS)
        folder = await self._owned_folder(principal, request.folder.id)
        if "name" in paths:
            name = domain.clean_folder_name(request.folder.name)
            try:
                async with self._db.session() as session:
                    row = await session.get(FolderRow, folder.id)
                    if row is None:
                        raise NotFound(
                            f"Folder {folder.id} does not exist.", reason="FOLDER_NOT_FOUND"
                        )
                    row.name = name
                    row.update_time = datetime.now(UTC)
                    folder = row
            except IntegrityError as exc:
                raise AlreadyExists(
                    f"You already have a folder named '{name}'.", reason="FOLDER_NAME_TAKEN"
                ) from exc
        count = await self._document_count(folder.id)
        return library_pb2.UpdateFolderResponse(folder=folder_message(folder, count))

    async def DeleteFolder(
        self, request: library_pb2.DeleteFolderRequest, context: Context
    ) -> library_pb2.DeleteFolderResponse:
        folder = await self._owned_folder(await active_caller(self._db), request.folder_id)
        async with self._db.session() as session:
            # Documents stay, without a folder (explicitly: SQLite may run without FK actions).
            await session.execute(
                update(DocumentRow).where(DocumentRow.folder_id == folder.id).values(folder_id=None)
            )
            row = await session.get(FolderRow, folder.id)
            if row is not None:
                await session.delete(row)
        return library_pb2.DeleteFolderResponse()

    # ---- uploads -------------------------------------------------------------------------

    async def UploadDocument(
        self, request_iterator: AsyncIterator[library_pb2.UploadDocumentRequest], context: Context
    ) -> library_pb2.UploadDocumentResponse:
        principal = await active_caller(self._db)
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("payload") != "metadata":
            raise InvalidArgument(
                "Send the file's metadata (file_name, size_bytes, ...) as the first message.",
                reason="METADATA_FIRST",
            )
        upload = await self._uploads.validate(principal, first.metadata)

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if message.WhichOneof("payload") != "chunk":
                    raise InvalidArgument(
                        "Only the first message may carry metadata; send bytes in `chunk`.",
                        reason="METADATA_TWICE",
                    )
                yield message.chunk

        document = await self._receive(principal, upload, chunks())
        return library_pb2.UploadDocumentResponse(document=document_message(document))

    async def UploadDocumentContent(
        self,
        request_iterator: AsyncIterator[library_pb2.UploadDocumentContentRequest],
        context: Context,
    ) -> library_pb2.UploadDocumentContentResponse:
        principal = await active_caller(self._db)
        first = await anext(aiter(request_iterator), None)
        if first is None:
            raise InvalidArgument("The request has no body: send the file.", reason="EMPTY_FILE")
        metadata = library_pb2.UploadMetadata(
            file_name=first.file_name or "recording",
            content_type=first.body.content_type,
            size_bytes=first.size_bytes,
            folder_id=first.folder_id,
            title=first.title,
            language=first.language,
            summary_length=first.summary_length,
            request_id=first.request_id,
        )
        upload = await self._uploads.validate(principal, metadata, size_optional=True)

        async def chunks() -> AsyncIterator[bytes]:
            yield first.body.data
            async for message in request_iterator:
                yield message.body.data

        document = await self._receive(principal, upload, chunks())
        return library_pb2.UploadDocumentContentResponse(document=document_message(document))

    async def _receive(
        self, principal: Principal, upload: ValidUpload, chunks: AsyncIterator[bytes]
    ) -> DocumentRow:
        spool = self._uploads.new_spool_path()
        try:
            await self._uploads.spool(upload, chunks, spool)
            existing = await self._uploads.existing(principal, upload)
            return existing or await self._uploads.accept(principal, upload, spool)
        finally:
            # Synchronous on purpose: a cancelled upload must still remove its bytes, and an
            # await here could be cancelled too.
            with contextlib.suppress(FileNotFoundError):
                os.remove(spool)

    async def StartUpload(
        self, request: library_pb2.StartUploadRequest, context: Context
    ) -> library_pb2.StartUploadResponse:
        principal = await active_caller(self._db)
        upload = await self._uploads.validate(principal, request.metadata)
        now = datetime.now(UTC)
        spool = self._uploads.new_spool_path()
        spool.touch()
        session_row = UploadSessionRow(
            owner_id=principal.user_id,
            owner_email=principal.email,
            owner_name=principal.name,
            metadata_json=upload.as_json(),
            size_bytes=upload.size_bytes,
            received_bytes=0,
            spool_path=str(spool),
            create_time=now,
            expire_time=now + self._session_ttl,
        )
        async with self._db.session() as session:
            session.add(session_row)
        return library_pb2.StartUploadResponse(
            upload_id=session_row.id,
            expire_time=timestamp(session_row.expire_time),
            max_chunk_bytes=self._max_chunk,
        )

    async def _upload_session(self, principal: Principal, upload_id: str) -> UploadSessionRow:
        async with self._db.session() as session:
            row = await session.get(UploadSessionRow, _require_id(upload_id, "upload_id"))
        if row is None or row.owner_id != principal.user_id or row.expire_time <= datetime.now(UTC):
            raise NotFound(
                f"Upload {upload_id} does not exist or has expired; start a new one.",
                reason="UPLOAD_NOT_FOUND",
            )
        return row

    async def UploadChunk(
        self, request: library_pb2.UploadChunkRequest, context: Context
    ) -> library_pb2.UploadChunkResponse:
        received = await self._store_chunk(request.upload_id, request.offset, request.data)
        return library_pb2.UploadChunkResponse(received_bytes=received)

    async def UploadChunkContent(
        self, request: library_pb2.UploadChunkContentRequest, context: Context
    ) -> library_pb2.UploadChunkContentResponse:
        received = await self._store_chunk(request.upload_id, request.offset, request.body.data)
        return library_pb2.UploadChunkContentResponse(received_bytes=received)

    async def _store_chunk(self, upload_id: str, offset: int, data: bytes) -> int:
        """Appends `data` at `offset`; a chunk that was already stored is acknowledged again."""
        principal = await active_caller(self._db)
        if len(data) > self._max_chunk:
            raise InvalidArgument(
                f"Chunks may be at most {self._max_chunk} bytes.", reason="CHUNK_TOO_LARGE"
            )
        if not data:
            raise InvalidArgument("The chunk is empty.", reason="EMPTY_CHUNK")
        lock = self._upload_locks.setdefault(upload_id, asyncio.Lock())
        async with lock:
            row = await self._upload_session(principal, upload_id)
            end = offset + len(data)
            if offset < 0 or offset > row.received_bytes:
                raise FailedPrecondition(
                    f"Expected the chunk at offset {row.received_bytes}, got {offset}.",
                    reason="WRONG_OFFSET",
                    metadata={"received_bytes": str(row.received_bytes)},
                )
            if end <= row.received_bytes:  # a retry of a chunk we already have
                return row.received_bytes
            if end > row.size_bytes:
                raise InvalidArgument(
                    f"More bytes arrived than the declared size of {row.size_bytes}.",
                    reason="SIZE_MISMATCH",
                )
            await asyncio.to_thread(_write_at, Path(row.spool_path), offset, data)
            async with self._db.session() as session:
                await session.execute(
                    update(UploadSessionRow)
                    .where(UploadSessionRow.id == row.id)
                    .values(received_bytes=end)
                )
        return end

    async def GetUpload(
        self, request: library_pb2.GetUploadRequest, context: Context
    ) -> library_pb2.GetUploadResponse:
        row = await self._upload_session(await active_caller(self._db), request.upload_id)
        return library_pb2.GetUploadResponse(
            upload_id=row.id,
            received_bytes=row.received_bytes,
            size_bytes=row.size_bytes,
            expire_time=timestamp(row.expire_time),
        )

    async def FinishUpload(
        self, request: library_pb2.FinishUploadRequest, context: Context
    ) -> library_pb2.FinishUploadResponse:
        principal = await active_caller(self._db)
        lock = self._upload_locks.setdefault(request.upload_id, asyncio.Lock())
        async with lock:
            row = await self._upload_session(principal, request.upload_id)
            upload = ValidUpload.from_json(row.metadata_json)
            check_complete(upload, row.received_bytes)
            spool = Path(row.spool_path)
            try:
                existing = await self._uploads.existing(principal, upload)
                document = existing or await self._uploads.accept(principal, upload, spool)
            finally:
                # Finished or rejected, the session is over: rejected bytes are not kept.
                await self._end_session(row)
        self._upload_locks.pop(request.upload_id, None)
        return library_pb2.FinishUploadResponse(document=document_message(document))

    async def _end_session(self, row: UploadSessionRow) -> None:
        await asyncio.to_thread(Path(row.spool_path).unlink, missing_ok=True)
        async with self._db.session() as session:
            stored = await session.get(UploadSessionRow, row.id)
            if stored is not None:
                await session.delete(stored)

    async def expire_upload_sessions(self) -> int:
        """Removes unfinished sessions past their expiry, with their bytes."""
        async with self._db.session() as session:
            rows = (
                await session.scalars(
                    select(UploadSessionRow).where(
                        UploadSessionRow.expire_time <= datetime.now(UTC)
                    )
                )
            ).all()
        for row in rows:
            await self._end_session(row)
        return len(rows)

    # ---- documents -----------------------------------------------------------------------

    async def _owned_document(self, principal: Principal, document_id: str) -> DocumentRow:
        async with self._db.session() as session:
            document = await session.get(DocumentRow, _require_id(document_id, "document_id"))
        if document is None or document.owner_id != principal.user_id:
            raise NotFound(f"Document {document_id} does not exist.", reason="DOCUMENT_NOT_FOUND")
        return document

    async def GetDocument(
        self, request: library_pb2.GetDocumentRequest, context: Context
    ) -> library_pb2.GetDocumentResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        return library_pb2.GetDocumentResponse(document=document_message(document))

    async def ListDocuments(
        self, request: library_pb2.ListDocumentsRequest, context: Context
    ) -> library_pb2.ListDocumentsResponse:
        principal = await active_caller(self._db)
        size = page_size(request.page_size)
        filters = [DocumentRow.owner_id == principal.user_id]
        if request.folder_id:
            await self._owned_folder(principal, request.folder_id)
            filters.append(DocumentRow.folder_id == request.folder_id)
        if request.status:
            if request.status not in library_pb2.DocumentStatus.values():
                raise InvalidArgument("Unknown status filter.", reason="INVALID_STATUS")
            filters.append(DocumentRow.status == int(request.status))
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
        if after is not None and before is not None and after >= before:
            raise InvalidArgument(
                "create_time_after must be earlier than create_time_before.", reason="INVALID_RANGE"
            )
        if after is not None:
            filters.append(DocumentRow.create_time >= after)
        if before is not None:
            filters.append(DocumentRow.create_time < before)
        for word in request.query.split()[:10]:
            pattern = f"%{_escape_like(word)}%"
            filters.append(
                or_(
                    DocumentRow.title.ilike(pattern, escape="\\"),
                    DocumentRow.transcript_text.ilike(pattern, escape="\\"),
                    DocumentRow.summary_text.ilike(pattern, escape="\\"),
                )
            )
        fingerprint = query_fingerprint(
            principal.user_id, request.folder_id, request.status, after, before, request.query
        )
        cursor = decode_token(request.page_token, fingerprint)
        query: Select[DocumentRow] = (
            select(DocumentRow)
            .where(and_(*filters))
            .order_by(DocumentRow.create_time.desc(), DocumentRow.id.desc())
            .limit(size + 1)
        )
        if cursor is not None:
            query = query.where(_before(DocumentRow, cursor))
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
            total = await session.scalar(
                select(func.count()).select_from(DocumentRow).where(and_(*filters))
            )
        page = rows[:size]
        token = ""
        if len(rows) > size:
            token = encode_token(Cursor(page[-1].create_time, page[-1].id), fingerprint)
        return library_pb2.ListDocumentsResponse(
            documents=[document_message(d) for d in page],
            next_page_token=token,
            total_size=int(total or 0),
        )

    async def UpdateDocument(
        self, request: library_pb2.UpdateDocumentRequest, context: Context
    ) -> library_pb2.UpdateDocumentResponse:
        principal = await active_caller(self._db)
        paths = _check_mask(list(request.update_mask.paths), DOCUMENT_MASK_PATHS)
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
        async with self._db.session() as session:
            row = await session.get(DocumentRow, document.id)
            if row is None:
                raise NotFound(
                    f"Document {document.id} does not exist.", reason="DOCUMENT_NOT_FOUND"
                )
            if title is not None:
                row.title = title
            if "folder_id" in paths:
                row.folder_id = folder_id
            row.update_time = datetime.now(UTC)
            document = row
        return library_pb2.UpdateDocumentResponse(document=document_message(document))

    async def DeleteDocument(
        self, request: library_pb2.DeleteDocumentRequest, context: Context
    ) -> library_pb2.DeleteDocumentResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        async with self._db.session() as session:
            row = await session.get(DocumentRow, document.id)
            if row is not None:
                await session.delete(row)
        await asyncio.to_thread(delete_document_objects, self._store, document)
        return library_pb2.DeleteDocumentResponse()

    def _file(self, document: DocumentRow, kind: int) -> tuple[str, str, str]:
        """(key, content type, download name) of a stored file of the document."""
        stem = document.title or document.original_file_name.rsplit(".", 1)[0]
        if kind == library_pb2.FILE_KIND_ORIGINAL:
            return document.original_key, document.content_type, document.original_file_name
        if kind == library_pb2.FILE_KIND_PDF:
            if not document.pdf_key:
                raise FailedPrecondition(
                    "The PDF is not ready yet; watch the document until it is COMPLETED.",
                    reason="PDF_NOT_READY",
                )
            return document.pdf_key, "application/pdf", f"{stem}.pdf"
        if kind == library_pb2.FILE_KIND_THUMBNAIL:
            if not document.thumbnail_key:
                raise FailedPrecondition(
                    "The thumbnail is not ready yet; it is made with the PDF.",
                    reason="THUMBNAIL_NOT_READY",
                )
            return document.thumbnail_key, "image/png", f"{stem}.png"
        raise InvalidArgument(
            "Choose a file kind: PDF, ORIGINAL or THUMBNAIL.", reason="INVALID_KIND"
        )

    async def DownloadDocument(
        self, request: library_pb2.DownloadDocumentRequest, context: Context
    ) -> AsyncIterator[library_pb2.DownloadDocumentResponse]:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        key, content_type, name = self._file(document, request.kind)
        size = await self._stored_size(key)
        first = True
        async for chunk in _iterate(self._store, key):
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
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        key, content_type, name = self._file(document, request.kind)
        await self._stored_size(key)
        await context.send_initial_metadata((("content-disposition", content_disposition(name)),))
        async for chunk in _iterate(self._store, key):
            yield httpbody_pb2.HttpBody(content_type=content_type, data=chunk)

    async def _stored_size(self, key: str) -> int:
        info = await asyncio.to_thread(self._store.stat, key)
        if info is None:
            raise NotFound("The stored file is missing.", reason="OBJECT_MISSING")
        return info.size

    async def GetDownloadUrl(
        self, request: library_pb2.GetDownloadUrlRequest, context: Context
    ) -> library_pb2.GetDownloadUrlResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        key, _content_type, name = self._file(document, request.kind)
        url = await asyncio.to_thread(self._store.presigned_get_url, key, self._download_ttl, name)
        return library_pb2.GetDownloadUrlResponse(
            url=url, expire_time=timestamp(datetime.now(UTC) + self._download_ttl)
        )

    async def DownloadFile(
        self, request: library_pb2.DownloadFileRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        try:
            key, name = verify_local_token(self._download_secret, request.token, datetime.now(UTC))
        except InvalidDownloadToken as exc:
            raise Unauthenticated(str(exc), reason="DOWNLOAD_LINK_INVALID") from exc
        info = await asyncio.to_thread(self._store.stat, key)
        if info is None:
            raise NotFound("This file no longer exists.", reason="OBJECT_MISSING")
        content_type = info.content_type or "application/octet-stream"
        if name:
            await context.send_initial_metadata(
                (("content-disposition", content_disposition(name)),)
            )
        async for chunk in _iterate(self._store, key):
            yield httpbody_pb2.HttpBody(content_type=content_type, data=chunk)

    async def WatchDocument(
        self, request: library_pb2.WatchDocumentRequest, context: Context
    ) -> AsyncIterator[library_pb2.WatchDocumentResponse]:
        principal = await active_caller(self._db)
        document_id = _require_id(request.document_id, "document_id")
        # Subscribe before reading the current state, so no change can slip between the two.
        with self._hub.watch(document_id) as changes:
            document = await self._owned_document(principal, document_id)
            last = library_pb2.WatchDocumentResponse(
                document_id=document.id,
                status=library_pb2.DocumentStatus.ValueType(document.status),
                progress=document.progress,
                stage=library_pb2.Stage.ValueType(document.stage),
                message=document.error_message or document.status_message,
                update_time=timestamp(document.update_time),
            )
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
                current = library_pb2.WatchDocumentResponse(
                    document_id=change.document_id,
                    status=change.status,
                    progress=change.progress,
                    stage=change.stage,
                    message=change.message,
                    update_time=change.update_time,
                )
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
        # Unset settings keep the document's current ones.
        language = (
            domain.check_language(request.language, allow_detect=False)
            if request.language
            else document.language
        )
        length = domain.check_summary_length(
            request.summary_length, default=domain.SummaryLength(document.summary_length)
        )
        if not document.transcript_key:
            raise FailedPrecondition(
                "This document has no transcript yet; wait for transcription to finish.",
                reason="NO_TRANSCRIPT",
            )
        await self._uploads.guard.check_regenerate(principal.user_id)
        if document.status == int(Status.PROCESSING) and document.stage != int(Stage.TRANSCRIPTION):
            # Allowed: the new version supersedes the running one, whose late events are ignored.
            log.info("regenerating while processing", extra={"document_id": document.id})
        document = await self._restart(
            document.id, Stage.SUMMARIZATION, language=language, summary_length=int(length)
        )
        return library_pb2.RegenerateDocumentResponse(document=document_message(document))

    async def _restart(
        self,
        document_id: str,
        stage: Stage,
        *,
        language: str | None = None,
        summary_length: int | None = None,
        job_id: str | None = None,
    ) -> DocumentRow:
        """Starts a new document version at `stage`, keeping earlier stages' outputs."""
        now = datetime.now(UTC)
        async with self._db.session() as session:
            document = await session.get(DocumentRow, document_id, with_for_update=True)
            if document is None:
                raise NotFound(
                    f"Document {document_id} does not exist.", reason="DOCUMENT_NOT_FOUND"
                )
            document.version += 1
            if language is not None:
                document.language = language
            if summary_length is not None:
                document.summary_length = summary_length
            document.status = int(Status.PROCESSING)
            document.progress = STAGE_START_PROGRESS[stage]
            document.stage = int(stage)
            document.status_message = STAGE_WORDS[stage]
            document.error_message = ""
            document.update_time = now
            job = await session.get(JobRow, job_id) if job_id else None
            if job is None:
                job = JobRow(
                    document_id=document.id,
                    owner_id=document.owner_id,
                    attempts=1,
                    runs=[],
                    create_time=now,
                )
                session.add(job)
            else:
                job.attempts += 1
            job.version = document.version
            job.status = int(JobStatus.RUNNING)
            job.stage = int(stage)
            job.error_message = ""
            job.update_time = now
            await session.flush()
            await self._outbox.add(
                session,
                STAGE_REQUESTED[stage],
                events_pb2.StageRequested(job=job_context(document, job)),
            )
            await self._outbox.add(session, DOCUMENT_CHANGED, document_changed(document))
        self._outbox.notify()
        return document


# Durable consumers feeding each stage (see services/<stage>/app.py INPUTS).
STAGE_CONSUMERS: dict[Stage, tuple[tuple[str, str], ...]] = {
    Stage.TRANSCRIPTION: (("library", "transcriber-from-library"),),
    Stage.SUMMARIZATION: (
        ("transcriber", "summarizer-from-transcriber"),
        ("library", "summarizer-from-library"),
    ),
    Stage.RENDERING: (
        ("summarizer", "renderer-from-summarizer"),
        ("library", "renderer-from-library"),
    ),
    Stage.NOTIFICATION: (
        ("renderer", "notifier-from-renderer"),
        ("library", "notifier-from-library"),
        ("transcriber", "notifier-from-transcriber"),
        ("summarizer", "notifier-from-summarizer"),
    ),
}


class JobsServicer(library_pb2_grpc.JobsServiceServicer):
    def __init__(self, db: Database, library: LibraryServicer, js: JetStreamContext) -> None:
        self._db = db
        self._library = library
        self._js = js

    async def GetQueueStats(
        self, request: library_pb2.GetQueueStatsRequest, context: Context
    ) -> library_pb2.GetQueueStatsResponse:
        require_admin()
        async with self._db.session() as session:
            failed = dict(
                (
                    await session.execute(
                        select(JobRow.stage, func.count())
                        .where(JobRow.status == int(JobStatus.FAILED))
                        .group_by(JobRow.stage)
                    )
                ).all()
            )
        stages = []
        for stage, consumers in STAGE_CONSUMERS.items():
            queue = library_pb2.StageQueue(
                stage=library_pb2.Stage.ValueType(stage), failed_jobs=int(failed.get(stage, 0))
            )
            for producer, durable in consumers:
                try:
                    info = await self._js.consumer_info(producer_stream(producer).name, durable)
                except NotFoundError:
                    continue  # that stage has not started yet
                queue.pending += info.num_pending or 0
                queue.in_progress += info.num_ack_pending or 0
                queue.redelivered += info.num_redelivered or 0
            stages.append(queue)
        return library_pb2.GetQueueStatsResponse(stages=stages)

    async def _job(self, job_id: str) -> JobRow:
        async with self._db.session() as session:
            job = await session.get(JobRow, _require_id(job_id, "job_id"))
        if job is None:
            raise NotFound(f"Job {job_id} does not exist.", reason="JOB_NOT_FOUND")
        return job

    async def ListJobs(
        self, request: library_pb2.ListJobsRequest, context: Context
    ) -> library_pb2.ListJobsResponse:
        require_admin()
        size = page_size(request.page_size)
        filters = []
        if request.status:
            filters.append(JobRow.status == int(request.status))
        if request.stage:
            filters.append(JobRow.stage == int(request.stage))
        fingerprint = query_fingerprint("jobs", request.status, request.stage)
        cursor = decode_token(request.page_token, fingerprint)
        query = (
            select(JobRow)
            .where(and_(true(), *filters))
            .order_by(JobRow.create_time.desc(), JobRow.id.desc())
            .limit(size + 1)
        )
        if cursor is not None:
            query = query.where(_before(JobRow, cursor))
        async with self._db.session() as session:
            rows = list((await session.scalars(query)).all())
        page = rows[:size]
        token = ""
        if len(rows) > size:
            token = encode_token(Cursor(page[-1].create_time, page[-1].id), fingerprint)
        return library_pb2.ListJobsResponse(
            jobs=[job_message(j) for j in page], next_page_token=token
        )

    async def GetJob(
        self, request: library_pb2.GetJobRequest, context: Context
    ) -> library_pb2.GetJobResponse:
        require_admin()
        return library_pb2.GetJobResponse(job=job_message(await self._job(request.job_id)))

    async def RetryJob(
        self, request: library_pb2.RetryJobRequest, context: Context
    ) -> library_pb2.RetryJobResponse:
        require_admin()
        job = await self._job(request.job_id)
        if job.status != int(JobStatus.FAILED):
            raise FailedPrecondition(
                "Only failed jobs can be retried; this one is not failed.", reason="JOB_NOT_FAILED"
            )
        async with self._db.session() as session:
            document = await session.get(DocumentRow, job.document_id)
        if document is None or document.version != job.version:
            raise FailedPrecondition(
                "A newer version of this document exists; retry that one instead.",
                reason="JOB_SUPERSEDED",
            )
        await self._library._restart(document.id, Stage(job.stage), job_id=job.id)
        return library_pb2.RetryJobResponse(job=job_message(await self._job(job.id)))


def _before(model: Any, cursor: Cursor) -> Any:
    return or_(
        model.create_time < cursor.create_time,
        and_(model.create_time == cursor.create_time, model.id < cursor.id),
    )


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _write_at(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as out:
        out.seek(offset)
        out.write(data)
        out.truncate(offset + len(data))


async def _iterate(store: ObjectStore, key: str) -> AsyncIterator[bytes]:
    """Streams an object without blocking the event loop; one chunk in memory at a time."""
    iterator = iter(await asyncio.to_thread(store.iter_chunks, key, DOWNLOAD_CHUNK_BYTES))
    sentinel = object()
    try:
        while True:
            chunk = await asyncio.to_thread(next, iterator, sentinel)
            if chunk is sentinel:
                return
            yield chunk  # type: ignore[misc]
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(close)


def delete_document_objects(store: ObjectStore, document: DocumentRow) -> None:
    """Removes every stored object of the document (original, transcript, PDFs, temp)."""
    for prefix in document_prefixes(document.owner_id, document.id):
        store.delete_prefix(prefix)
