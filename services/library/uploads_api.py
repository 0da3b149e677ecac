"""LibraryService upload RPCs: streaming, raw-body and resumable uploads.

Retries are safe (AIP-155): an upload whose `request_id` already made a document returns that
document before limits are checked or bytes spooled; a retried `StartUpload` returns the open
session of its `request_id`, and a retried `FinishUpload` the document the session became."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from services.kernel.errors import (
    AppError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from services.kernel.protos import timestamp
from services.kernel.tokens import Principal
from services.library.accounts import active_caller
from services.library.api_base import (
    Context,
    LibraryBase,
    require_id,
    write_at,
)
from services.library.convert import document_message
from services.library.lifecycle.errors import LifecycleError
from services.library.store import DocumentRow, UploadSessionRow
from services.library.uploads import (
    ValidUpload,
    check_complete,
    clean_request_id,
    owner_columns,
)
from speechflow.library.v1 import library_pb2

# How much of a client stream is still read (and dropped) before an early refusal is sent:
# answering while the client is still sending makes some gRPC clients report INTERNAL
# (the stream is reset under them) instead of our status. Bounded, so a client cannot make
# the server read a whole refused upload.
DRAIN_MAX_BYTES = 8 * 1024 * 1024
DRAIN_MAX_SECONDS = 5.0


class _Sized(Protocol):
    def ByteSize(self) -> int: ...


async def drain(request_iterator: AsyncIterator[_Sized]) -> None:
    """Reads what the client still sends, up to the bounds above, and drops it."""
    drained = 0
    with contextlib.suppress(Exception):
        async with asyncio.timeout(DRAIN_MAX_SECONDS):
            async for message in request_iterator:
                drained += message.ByteSize()
                if drained > DRAIN_MAX_BYTES:
                    return


class UploadRpcs(LibraryBase):
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

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if message.WhichOneof("payload") != "chunk":
                    raise InvalidArgument(
                        "Only the first message may carry metadata; send bytes in `chunk`.",
                        reason="METADATA_TWICE",
                    )
                yield message.chunk

        try:
            document = await self._uploads.existing(
                principal, clean_request_id(first.metadata.request_id)
            )
            if document is None:
                upload = await self._uploads.validate(principal, first.metadata)
                document = await self._receive(principal, upload, chunks())
        except (AppError, LifecycleError):  # a refusal: the bytes still sent are drained
            await drain(request_iterator)
            raise
        await drain(request_iterator)  # a retry answered before its bytes
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
            hotwords=first.hotwords,
            min_speakers=first.min_speakers,
            max_speakers=first.max_speakers,
            summary_language=first.summary_language,
            summary_template_id=first.summary_template_id,
        )

        async def chunks() -> AsyncIterator[bytes]:
            yield first.body.data
            async for message in request_iterator:
                yield message.body.data

        try:
            document = await self._uploads.existing(principal, clean_request_id(first.request_id))
            if document is None:
                upload = await self._uploads.validate(principal, metadata, size_optional=True)
                document = await self._receive(principal, upload, chunks())
        except (AppError, LifecycleError):  # a refusal: the bytes still sent are drained
            await drain(request_iterator)
            raise
        await drain(request_iterator)
        return library_pb2.UploadDocumentContentResponse(document=document_message(document))

    async def _receive(
        self, principal: Principal, upload: ValidUpload, chunks: AsyncIterator[bytes]
    ) -> DocumentRow:
        spool = self._uploads.new_spool_path()
        try:
            await self._uploads.spool(upload, chunks, spool)
            # Asked again: a concurrent retry may have finished while these bytes arrived.
            existing = await self._uploads.existing(principal, upload.request_id)
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
        reopened = await self._open_session_of(
            principal, clean_request_id(request.metadata.request_id)
        )
        if reopened is not None:  # a retry: the session its lost reply named
            return library_pb2.StartUploadResponse(
                upload_id=reopened.id,
                expire_time=timestamp(reopened.expire_time),
                max_chunk_bytes=self._max_chunk,
            )
        upload = await self._uploads.validate(principal, request.metadata)
        now = datetime.now(UTC)
        spool = self._uploads.new_spool_path()
        spool.touch()
        session_row = UploadSessionRow(
            **owner_columns(principal),
            metadata_json=upload.as_json(),
            size_bytes=upload.size_bytes,
            received_bytes=0,
            spool_path=str(spool),
            create_time=now,
            expire_time=now + self._session_ttl,
        )
        try:
            await self._upload_sessions.open(session_row)
        except BaseException:
            spool.unlink(missing_ok=True)
            raise
        return library_pb2.StartUploadResponse(
            upload_id=session_row.id,
            expire_time=timestamp(session_row.expire_time),
            max_chunk_bytes=self._max_chunk,
        )

    async def _open_session_of(
        self, principal: Principal, request_id: str | None
    ) -> UploadSessionRow | None:
        """The caller's unexpired session started with `request_id`."""
        if request_id is None:
            return None
        return await self._upload_sessions.open_of_request(
            principal.user_id, request_id, datetime.now(UTC)
        )

    async def _upload_session(self, principal: Principal, upload_id: str) -> UploadSessionRow:
        """The caller's open session; `upload_id` must have passed require_id."""
        row = await self._upload_sessions.get(upload_id)
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
        upload_id = require_id(upload_id, "upload_id")
        if len(data) > self._max_chunk:
            raise InvalidArgument(
                f"Chunks may be at most {self._max_chunk} bytes.", reason="CHUNK_TOO_LARGE"
            )
        if not data:
            raise InvalidArgument("The chunk is empty.", reason="EMPTY_CHUNK")
        # Only a session of the caller gets a lock; the lookup is repeated under it.
        await self._upload_session(principal, upload_id)
        async with self._upload_locks.hold(upload_id):
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
            await asyncio.to_thread(write_at, Path(row.spool_path), offset, data)
            await self._upload_sessions.set_received(row.id, end)
        return end

    async def GetUpload(
        self, request: library_pb2.GetUploadRequest, context: Context
    ) -> library_pb2.GetUploadResponse:
        upload_id = require_id(request.upload_id, "upload_id")
        row = await self._upload_session(await active_caller(self._db), upload_id)
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
        upload_id = require_id(request.upload_id, "upload_id")
        if (done := await self._finished_document(principal, upload_id)) is not None:
            return done
        async with self._upload_locks.hold(upload_id):
            # Asked again under the lock: a concurrent retry may just have finished it.
            if (done := await self._finished_document(principal, upload_id)) is not None:
                return done
            row = await self._upload_session(principal, upload_id)
            upload = ValidUpload.from_json(row.metadata_json)
            check_complete(upload, row.received_bytes)
            spool = Path(row.spool_path)
            try:
                existing = await self._uploads.existing(principal, upload.request_id)
                document = existing or await self._uploads.accept(
                    principal, upload, spool, finishing_session_id=row.id
                )
            finally:
                # Finished or rejected, the session is over: rejected bytes are not kept.
                await self._end_session(row)
        return library_pb2.FinishUploadResponse(document=document_message(document))

    async def _finished_document(
        self, principal: Principal, upload_id: str
    ) -> library_pb2.FinishUploadResponse | None:
        """A retried FinishUpload (its reply was lost): the document the session became."""
        document = await self._uploads.finished(principal, upload_id)
        if document is None:
            return None
        return library_pb2.FinishUploadResponse(document=document_message(document))

    async def _end_session(self, row: UploadSessionRow) -> None:
        await asyncio.to_thread(Path(row.spool_path).unlink, missing_ok=True)
        await self._upload_sessions.delete(row.id)

    async def expire_upload_sessions(self) -> int:
        """Removes unfinished sessions past their expiry, with their bytes."""
        rows = await self._upload_sessions.expired(datetime.now(UTC))
        for row in rows:
            await self._end_session(row)
        return len(rows)
