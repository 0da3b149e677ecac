"""The library's gRPC API, called as the caller (their access token): upload the recording,
wait until it is transcribed, read the transcript or an export of it.

The recording stays in the caller's library like any upload; the endpoint answers as soon as
the transcript exists, without waiting for the summary and the PDF that follow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio

from services.kernel.transcripts import seconds
from speechflow.library.v1 import library_pb2, library_pb2_grpc

CHUNK_BYTES = 1024 * 1024
_TRANSCRIBED_STAGES = frozenset(
    {
        library_pb2.STAGE_SUMMARIZATION,
        library_pb2.STAGE_RENDERING,
        library_pb2.STAGE_NOTIFICATION,
    }
)
# The progress milestone "transcribed" (docs: 50 transcribed, 75 summarized, ...).
TRANSCRIBED_PROGRESS = 50
EXPORT_FORMATS = {"srt": library_pb2.EXPORT_FORMAT_SRT, "vtt": library_pb2.EXPORT_FORMAT_VTT}


class TranscriptionFailed(Exception):
    """The pipeline gave up on the recording; the message says why (for the caller)."""


@dataclass(frozen=True)
class Upload:
    """The recording: how to read its bytes, and the UploadMetadata that goes first."""

    read: Callable[[int], Awaitable[bytes]]
    metadata: library_pb2.UploadMetadata


@dataclass(frozen=True)
class Transcribed:
    document: library_pb2.Document
    transcript: library_pb2.Transcript

    @property
    def duration_seconds(self) -> float:
        return seconds(self.document.duration)

    @property
    def language(self) -> str:
        return self.transcript.language or self.document.language


class LibraryClient:
    """One channel to the library for every request; each call carries its caller's token."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.aio.insecure_channel(address)
        self._stub: Any = library_pb2_grpc.LibraryServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def transcribe(
        self, upload: Upload, *, access_token: str, request_id: str
    ) -> Transcribed:
        metadata = (("authorization", f"Bearer {access_token}"), ("x-request-id", request_id))
        uploaded = await self._stub.UploadDocument(_upload_messages(upload), metadata=metadata)
        document_id = uploaded.document.id
        await self._wait_until_transcribed(document_id, metadata)
        document = await self._stub.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=metadata
        )
        transcript = await self._stub.GetTranscript(
            library_pb2.GetTranscriptRequest(document_id=document_id), metadata=metadata
        )
        return Transcribed(document.document, transcript.transcript)

    async def export(self, document_id: str, name: str, *, access_token: str) -> str:
        """The library's own SRT / VTT export of the transcript, as text."""
        metadata = (("authorization", f"Bearer {access_token}"),)
        request = library_pb2.ExportDocumentRequest(
            document_id=document_id, format=EXPORT_FORMATS[name]
        )
        parts = [part.data async for part in self._stub.ExportDocument(request, metadata=metadata)]
        return b"".join(parts).decode("utf-8")

    async def _wait_until_transcribed(
        self, document_id: str, metadata: tuple[tuple[str, str], ...]
    ) -> None:
        watch = self._stub.WatchDocument(
            library_pb2.WatchDocumentRequest(document_id=document_id), metadata=metadata
        )
        try:
            async for update in watch:
                if update.status == library_pb2.DOCUMENT_STATUS_FAILED:
                    failed = await self._stub.GetDocument(
                        library_pb2.GetDocumentRequest(document_id=document_id), metadata=metadata
                    )
                    raise TranscriptionFailed(
                        failed.document.error_message
                        or update.message
                        or "The recording could not be processed."
                    )
                if (
                    update.status == library_pb2.DOCUMENT_STATUS_COMPLETED
                    or update.stage in _TRANSCRIBED_STAGES
                    or update.progress >= TRANSCRIBED_PROGRESS
                ):
                    return
        finally:
            watch.cancel()
        raise TranscriptionFailed("The library stopped reporting on the recording.")


async def _upload_messages(upload: Upload) -> AsyncIterator[library_pb2.UploadDocumentRequest]:
    yield library_pb2.UploadDocumentRequest(metadata=upload.metadata)
    while chunk := await upload.read(CHUNK_BYTES):
        yield library_pb2.UploadDocumentRequest(chunk=chunk)
