"""A signed-in user of the mesh, over plain gRPC: through Envoy or straight to the services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc.aio

from services.mesh.runner import Mesh
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.library.v1 import library_pb2, library_pb2_grpc

PASSWORD = "correct horse battery staple"
STREAM_CHUNK_BYTES = 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
]


@dataclass
class Channels:
    auth: grpc.aio.Channel
    library: grpc.aio.Channel

    @classmethod
    def to(cls, mesh: Mesh, *, through_envoy: bool = True) -> Channels:
        if through_envoy:
            edge = grpc.aio.insecure_channel(
                f"127.0.0.1:{mesh.settings.envoy_port}", options=CHANNEL_OPTIONS
            )
            return cls(auth=edge, library=edge)
        return cls(
            auth=grpc.aio.insecure_channel(mesh.services["auth"].address, options=CHANNEL_OPTIONS),
            library=grpc.aio.insecure_channel(
                mesh.services["library"].address, options=CHANNEL_OPTIONS
            ),
        )

    async def close(self) -> None:
        await self.auth.close()
        if self.library is not self.auth:
            await self.library.close()


@dataclass
class MeshUser:
    email: str
    user_id: str
    access_token: str
    channels: Channels

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.access_token}"),)

    @property
    def auth(self) -> auth_pb2_grpc.AuthServiceAsyncStub:
        return auth_pb2_grpc.AuthServiceStub(self.channels.auth)  # type: ignore[return-value]

    @property
    def library(self) -> library_pb2_grpc.LibraryServiceAsyncStub:
        return library_pb2_grpc.LibraryServiceStub(self.channels.library)  # type: ignore[return-value]

    @property
    def jobs(self) -> library_pb2_grpc.JobsServiceAsyncStub:
        return library_pb2_grpc.JobsServiceStub(self.channels.library)  # type: ignore[return-value]

    async def upload(
        self, data: bytes, file_name: str, language: str = "en", request_id: str = ""
    ) -> library_pb2.Document:
        """The streaming `UploadDocument`: metadata first, then 1 MiB chunks."""

        async def messages() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
            yield library_pb2.UploadDocumentRequest(
                metadata=library_pb2.UploadMetadata(
                    file_name=file_name,
                    size_bytes=len(data),
                    language=language,
                    request_id=request_id,
                )
            )
            view = memoryview(data)
            for start in range(0, len(data), STREAM_CHUNK_BYTES):
                yield library_pb2.UploadDocumentRequest(
                    chunk=bytes(view[start : start + STREAM_CHUNK_BYTES])
                )

        response = await self.library.UploadDocument(messages(), metadata=self.metadata)
        return response.document

    async def upload_in_chunks(
        self, data: bytes, file_name: str, language: str = "en"
    ) -> library_pb2.Document:
        """The resumable upload: StartUpload, UploadChunk at offsets, FinishUpload."""
        started = await self.library.StartUpload(
            library_pb2.StartUploadRequest(
                metadata=library_pb2.UploadMetadata(
                    file_name=file_name, size_bytes=len(data), language=language
                )
            ),
            metadata=self.metadata,
        )
        step = started.max_chunk_bytes or STREAM_CHUNK_BYTES
        view = memoryview(data)
        for offset in range(0, len(data), step):
            await self.library.UploadChunk(
                library_pb2.UploadChunkRequest(
                    upload_id=started.upload_id,
                    offset=offset,
                    data=bytes(view[offset : offset + step]),
                ),
                metadata=self.metadata,
            )
        finished = await self.library.FinishUpload(
            library_pb2.FinishUploadRequest(upload_id=started.upload_id), metadata=self.metadata
        )
        return finished.document

    def watch(
        self, document_id: str, timeout: float = 3600
    ) -> AsyncIterator[library_pb2.WatchDocumentResponse]:
        call = self.library.WatchDocument(
            library_pb2.WatchDocumentRequest(document_id=document_id),
            metadata=self.metadata,
            timeout=timeout,
        )
        return call.__aiter__()

    async def watch_to_end(self, document_id: str) -> list[library_pb2.WatchDocumentResponse]:
        return [update async for update in self.watch(document_id)]

    async def download(self, document_id: str, kind: int) -> bytes:
        parts = [
            part.data
            async for part in self.library.DownloadDocument(
                library_pb2.DownloadDocumentRequest(document_id=document_id, kind=kind),  # type: ignore[arg-type]
                metadata=self.metadata,
            )
        ]
        return b"".join(parts)

    async def close(self) -> None:
        await self.channels.close()


async def register_user(mesh: Mesh, *, through_envoy: bool = True, name: str = "Bench") -> MeshUser:
    channels = Channels.to(mesh, through_envoy=through_envoy)
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    stub: auth_pb2_grpc.AuthServiceAsyncStub = auth_pb2_grpc.AuthServiceStub(channels.auth)  # type: ignore[assignment]
    registered = await stub.Register(
        auth_pb2.RegisterRequest(email=email, password=PASSWORD, name=name)
    )
    return MeshUser(
        email=email,
        user_id=registered.user.id,
        access_token=registered.tokens.access_token,
        channels=channels,
    )
