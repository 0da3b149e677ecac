"""LibraryService exports: ExportDocument (gRPC stream naming the file) and
ExportDocumentContent (the raw file with its content type, for REST and links). Both read
the current transcript revision."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from google.api import httpbody_pb2

from services.kernel.errors import InvalidArgument
from services.kernel.storage import content_disposition
from services.library.accounts import active_caller
from services.library.api_base import DOWNLOAD_CHUNK_BYTES, Context, LibraryBase
from services.library.convert import document_message
from services.library.domain import quoted
from services.library.edits_api import stored_transcript
from services.library.exports import (
    FORMAT_NAMES,
    ExportedFile,
    ExportFormat,
    ExportInput,
    export,
    summary_from_document,
)
from services.library.store import DocumentRow
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.exports")

Message = TypeVar("Message")


class ExportRpcs(LibraryBase):
    async def ExportDocument(
        self, request: library_pb2.ExportDocumentRequest, context: Context
    ) -> AsyncIterator[library_pb2.ExportDocumentResponse]:
        exported = await self._export(request.document_id, format_of_enum(request.format))
        for message in export_messages(exported, library_pb2.ExportDocumentResponse):
            yield message

    async def ExportDocumentContent(
        self, request: library_pb2.ExportDocumentContentRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        exported = await self._export(request.document_id, format_of_name(request.format))
        async for body in export_bodies(exported, context):
            yield body

    async def _export(self, document_id: str, kind: ExportFormat) -> ExportedFile:
        document = await self._owned_document(await active_caller(self._db), document_id)
        return await self._export_document(document, kind)

    async def _export_document(self, document: DocumentRow, kind: ExportFormat) -> ExportedFile:
        """The export of a document already found (its owner's, or a share link's)."""
        transcript = await stored_transcript(self._store, document)
        source = ExportInput(
            document_id=document.id,
            title=document.title,
            transcript=transcript,
            summary=summary_from_document(document_message(document)),
            language=document.language or document.detected_language,
        )
        exported = await asyncio.to_thread(export, kind, source)
        log.info(
            "exported",
            extra={"document_id": document.id, "format": kind.name, "bytes": len(exported.data)},
        )
        return exported


def export_chunks(data: bytes) -> list[bytes]:
    # An empty file still answers with one (empty) message, so the client learns its name.
    return [
        data[i : i + DOWNLOAD_CHUNK_BYTES] for i in range(0, len(data), DOWNLOAD_CHUNK_BYTES)
    ] or [b""]


def export_messages(exported: ExportedFile, message: Callable[..., Message]) -> Iterator[Message]:
    """The file as a gRPC stream of `message`s; the first also names its type and file."""
    for index, chunk in enumerate(export_chunks(exported.data)):
        if index == 0:
            yield message(
                data=chunk, content_type=exported.content_type, file_name=exported.file_name
            )
        else:
            yield message(data=chunk)


async def export_bodies(
    exported: ExportedFile, context: Context
) -> AsyncIterator[httpbody_pb2.HttpBody]:
    """The raw file with its content type (REST and links), named for saving."""
    await context.send_initial_metadata(
        (("content-disposition", content_disposition(exported.file_name)),)
    )
    for chunk in export_chunks(exported.data):
        yield httpbody_pb2.HttpBody(content_type=exported.content_type, data=chunk)


def format_of_enum(value: int) -> ExportFormat:
    try:
        return ExportFormat(value)
    except ValueError:
        raise InvalidArgument(
            "Choose an export format: TXT, SRT, VTT, JSON, MARKDOWN or DOCX.",
            reason="INVALID_EXPORT_FORMAT",
        ) from None


def format_of_name(name: str) -> ExportFormat:
    found = FORMAT_NAMES.get(name.strip().lower())
    if found is None:
        raise InvalidArgument(
            f"Unknown export format {quoted(name)}; use txt, srt, vtt, json, md or docx.",
            reason="INVALID_EXPORT_FORMAT",
        )
    return found
