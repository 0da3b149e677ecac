from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import grpc
import grpc.aio
import pytest

from services.mesh.runner import Mesh
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.library.v1 import library_pb2, library_pb2_grpc
from speechflow.transcriber.v1 import transcriber_pb2_grpc
from tests import media

NOTIFICATION_POLLS = 600
SETTLED = {
    library_pb2.NOTIFICATION_STATE_SENT,
    library_pb2.NOTIFICATION_STATE_FAILED,
    library_pb2.NOTIFICATION_STATE_NOT_REQUESTED,
}


@dataclass
class Client:
    """A signed-in user talking to the mesh through Envoy, as any gRPC client would."""

    email: str
    metadata: tuple[tuple[str, str], ...]
    library: library_pb2_grpc.LibraryServiceAsyncStub
    transcriber: transcriber_pb2_grpc.TranscriberServiceAsyncStub
    mesh: Mesh

    async def upload(self, path: Path, **fields: object) -> library_pb2.Document:
        data = path.read_bytes()

        async def messages() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
            yield library_pb2.UploadDocumentRequest(
                metadata=library_pb2.UploadMetadata(
                    file_name=path.name,
                    size_bytes=len(data),
                    **fields,  # type: ignore[arg-type]
                )
            )
            for start in range(0, len(data), 256 * 1024):
                yield library_pb2.UploadDocumentRequest(chunk=data[start : start + 256 * 1024])

        response = await self.library.UploadDocument(messages(), metadata=self.metadata)
        return response.document

    async def watch(self, document_id: str) -> list[library_pb2.WatchDocumentResponse]:
        """Every state until the document ends (the stream closes by itself)."""
        seen: list[library_pb2.WatchDocumentResponse] = []
        call = self.library.WatchDocument(
            library_pb2.WatchDocumentRequest(document_id=document_id),
            metadata=self.metadata,
            timeout=600,
        )
        async for update in call:
            seen.append(update)
        return seen

    async def document(self, document_id: str) -> library_pb2.Document:
        response = await self.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=self.metadata
        )
        return response.document

    async def notified(self, document_id: str) -> library_pb2.Document:
        """The document once the email about its version is settled (sent, failed or not
        asked for): the email follows COMPLETED, it does not gate it."""
        for _ in range(NOTIFICATION_POLLS):
            document = await self.document(document_id)
            if document.notification_state in SETTLED:
                return document
            await asyncio.sleep(0.1)
        raise AssertionError(f"the email about {document_id} never settled")

    def stored_objects(self, document_id: str) -> list[Path]:
        """Every stored file of a document, in any area (originals, transcripts, PDFs)."""
        objects = self.mesh.data_dir / "objects"
        return [p for p in objects.rglob("*") if p.is_file() and document_id in p.parts]

    async def download(self, document_id: str, kind: int) -> bytes:
        chunks = []
        async for part in self.library.DownloadDocument(
            library_pb2.DownloadDocumentRequest(document_id=document_id, kind=kind),  # type: ignore[arg-type]
            metadata=self.metadata,
        ):
            chunks.append(part.data)
        return b"".join(chunks)

    def emails(self) -> list[EmailMessage]:
        outbox = self.mesh.data_dir / "outbox"
        found = []
        for path in sorted(outbox.glob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if self.email in str(message["To"]):
                found.append(message)  # type: ignore[arg-type]
        return found


@pytest.fixture
async def client(mesh: Mesh) -> AsyncIterator[Client]:
    channel = grpc.aio.insecure_channel(
        f"127.0.0.1:{mesh.settings.envoy_port}",
        options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)],
    )
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    email = f"p-{uuid.uuid4().hex[:8]}@example.com"
    registered = await auth.Register(
        auth_pb2.RegisterRequest(email=email, password="correct horse battery", name="Pat")
    )
    direct = grpc.aio.insecure_channel(mesh.services["transcriber"].address)
    try:
        yield Client(
            email=email,
            metadata=(("authorization", f"Bearer {registered.tokens.access_token}"),),
            library=library_pb2_grpc.LibraryServiceStub(channel),  # type: ignore[arg-type]
            transcriber=transcriber_pb2_grpc.TranscriberServiceStub(direct),  # type: ignore[arg-type]
            mesh=mesh,
        )
    finally:
        await channel.close()
        await direct.close()


ENGLISH = (
    "Welcome to the quarterly planning meeting. The budget for the next quarter is approved. "
    "We decided to hire two engineers for the search team. "
    "Sarah will prepare the hiring plan by Friday. "
    "The marketing launch moves to March because the website is not ready."
)
FRENCH = (
    "Bonjour à tous et bienvenue à la réunion de planification. "
    "Nous avons décidé de recruter deux ingénieurs pour l'équipe de recherche. "
    "Le budget du prochain trimestre est approuvé par la direction. "
    "Julien doit préparer le plan de recrutement avant vendredi prochain."
)


@pytest.fixture(scope="session")
def english_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(ENGLISH, tmp_path_factory.mktemp("en") / "planning.mp3")


@pytest.fixture(scope="session")
def french_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        FRENCH, tmp_path_factory.mktemp("fr") / "reunion.ogg", voice="fr", words_per_minute=140
    )
