"""GDPR export: a zip of everything SpeechFlow holds about the caller.

Auth owns the profile; the library owns folders and documents, so the export reads them
through the library's public API with the caller's own access token (it sees exactly what
the caller may see, nothing more)."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import AsyncIterator
from typing import IO, Any

import grpc
import grpc.aio
from google.protobuf import json_format
from google.protobuf.message import Message

from speechflow.auth.v1 import auth_pb2
from speechflow.library.v1 import library_pb2, library_pb2_grpc

CHUNK_BYTES = 1024 * 1024
PAGE_SIZE = 100


def _json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


async def _all_pages(call: Any, request: Any, field: str, metadata: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        response = await call(request, metadata=metadata)
        items.extend(getattr(response, field))
        if not response.next_page_token:
            return items
        request.page_token = response.next_page_token


async def _download(
    library: library_pb2_grpc.LibraryServiceAsyncStub, document_id: str, metadata: Any
) -> bytes:
    chunks = []
    async for part in library.DownloadDocument(
        library_pb2.DownloadDocumentRequest(
            document_id=document_id, kind=library_pb2.FILE_KIND_PDF
        ),
        metadata=metadata,
    ):
        chunks.append(part.data)
    return b"".join(chunks)


async def write_export(
    archive: IO[bytes], user: auth_pb2.User, library_address: str, authorization: str
) -> None:
    metadata = (("authorization", authorization),)
    async with grpc.aio.insecure_channel(
        library_address, options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)]
    ) as channel:
        library: library_pb2_grpc.LibraryServiceAsyncStub = library_pb2_grpc.LibraryServiceStub(
            channel
        )  # type: ignore[assignment]
        folders = await _all_pages(
            library.ListFolders,
            library_pb2.ListFoldersRequest(page_size=PAGE_SIZE),
            "folders",
            metadata,
        )
        documents = await _all_pages(
            library.ListDocuments,
            library_pb2.ListDocumentsRequest(page_size=PAGE_SIZE),
            "documents",
            metadata,
        )
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
            zip_file.writestr("profile.json", json.dumps(_json(user), indent=2))
            zip_file.writestr("folders.json", json.dumps([_json(f) for f in folders], indent=2))
            zip_file.writestr("documents.json", json.dumps([_json(d) for d in documents], indent=2))
            for document in documents:
                folder = f"documents/{document.id}"
                zip_file.writestr(f"{folder}/transcript.txt", document.transcript_text)
                zip_file.writestr(f"{folder}/summary.txt", document.summary_text)
                if document.has_pdf:
                    pdf = await _download(library, document.id, metadata)
                    zip_file.writestr(f"{folder}/report.pdf", pdf)


async def export_chunks(
    user: auth_pb2.User, library_address: str, authorization: str
) -> AsyncIterator[bytes]:
    """Builds the archive in a spooled temp file (kept on disk past a few MB), then streams it."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as archive:
        await write_export(archive, user, library_address, authorization)
        archive.seek(0)
        while chunk := archive.read(CHUNK_BYTES):
            yield chunk
