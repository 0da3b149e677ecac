from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from pydantic import SecretStr

from services.auth.keys import AccessTokenIssuer, load_or_create_signing_key
from services.kernel.app import ServiceApp
from services.kernel.jetstream import EventBus
from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.kernel.tokens import Role
from services.library.app import start_library
from services.library.settings import LibrarySettings
from services.mesh.nats_server import NatsServer
from speechflow.library.v1 import library_pb2_grpc
from tests import media

MAX_UPLOAD_BYTES = 2_000_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "library_settings(**fields): LibrarySettings fields the `lib` fixture starts with",
    )


@dataclass
class User:
    id: str
    email: str
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


@dataclass
class LibraryHarness:
    app: ServiceApp
    library: library_pb2_grpc.LibraryServiceAsyncStub
    jobs: library_pb2_grpc.JobsServiceAsyncStub
    settings: LibrarySettings
    store: ObjectStore
    bus: EventBus
    issuer: AccessTokenIssuer
    backend: str

    def user(self, role: Role = Role.USER) -> User:
        user_id = str(uuid.uuid4())
        email = f"{user_id[:8]}@example.com"
        token, _ = self.issuer.issue(
            user_id=user_id, email=email, name="Test", role=role, now=datetime.now(UTC)
        )
        return User(user_id, email, token)

    def stored_keys(self, user: User) -> list[str]:
        keys: list[str] = []
        for area in ("uploads/audio", "uploads/video"):
            keys += [o.key for o in self.store.list(f"{area}/{user.id}/")]
        return keys

    def spool_files(self) -> list[Path]:
        return list((self.settings.data_dir / "spool").glob("*"))


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    return media.synthesize_speech(
        "The quarterly budget meeting decided to hire two engineers.", folder / "speech.wav"
    )


@pytest.fixture(
    params=[
        pytest.param(("sqlite", "local"), id="sqlite-local"),
        pytest.param(("postgres", "s3"), id="postgres-s3", marks=pytest.mark.postgres),
    ]
)
async def lib(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServer
) -> AsyncIterator[LibraryHarness]:
    database, storage_backend = request.param
    database_url = "" if database == "sqlite" else request.getfixturevalue("postgres_url")
    if storage_backend == "s3":
        s3 = request.getfixturevalue("s3_server")
        storage = StorageSettings(
            storage_backend="s3",
            data_dir=tmp_path,
            s3_endpoint=s3.url,
            s3_access_key=s3.access_key,
            s3_secret_key=SecretStr(s3.secret_key),
            s3_bucket_uploads=f"up-{uuid.uuid4().hex[:8]}",
            s3_bucket_pdfs=f"pdf-{uuid.uuid4().hex[:8]}",
            s3_bucket_temp=f"tmp-{uuid.uuid4().hex[:8]}",
            s3_bucket_transcripts=f"tr-{uuid.uuid4().hex[:8]}",
        )
    else:
        storage = StorageSettings(storage_backend="local", data_dir=tmp_path)
    keys = tmp_path / "keys"
    key = load_or_create_signing_key(keys / "jwt.pem", keys / "jwt.pub.pem")
    marker = request.node.get_closest_marker("library_settings")
    overrides: dict[str, Any] = dict(marker.kwargs) if marker else {}
    fields: dict[str, Any] = {
        "data_dir": tmp_path,
        "nats_url": nats_server.url,
        "database_url": database_url,
        "grpc_port": 0,
        "jwt_public_key_file": keys / "jwt.pub.pem",
        "max_upload_bytes": MAX_UPLOAD_BYTES,
        "max_chunk_bytes": 64 * 1024,
    }
    settings = LibrarySettings(**(fields | overrides))
    app = await start_library(settings, storage)
    bus = await EventBus.connect(nats_server.url, source="test-pipeline")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
    try:
        yield LibraryHarness(
            app=app,
            library=library_pb2_grpc.LibraryServiceStub(channel),  # type: ignore[arg-type]
            jobs=library_pb2_grpc.JobsServiceStub(channel),  # type: ignore[arg-type]
            settings=settings,
            store=store_from_settings(storage),
            bus=bus,
            issuer=AccessTokenIssuer(
                key=key,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                ttl=timedelta(minutes=15),
            ),
            backend=f"{database}-{storage_backend}",
        )
    finally:
        await channel.close()
        await bus.close()
        await app.stop(grace=1)
