"""A small SpeechFlow deployment in-process (auth + library, SQLite + local files) that a
test can fill, stop, wipe and start again on other folders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc.aio
import numpy as np
from pydantic import SecretStr

from services.admin.deployment import Deployment, deployment_from_settings
from services.auth.app import start_auth
from services.auth.keys import AccessTokenIssuer, load_or_create_signing_key
from services.auth.settings import AuthSettings
from services.kernel.jetstream import EventBus
from services.kernel.storage import StorageSettings, store_from_settings
from services.library.app import start_library
from services.library.settings import LibrarySettings
from services.mesh.s3_server import SeaweedS3
from services.notifier.settings import NotifierSettings
from speechflow.auth.v1 import auth_pb2_grpc
from speechflow.library.v1 import library_pb2_grpc
from tests import media
from tests.library.conftest import LibraryHarness


@dataclass(frozen=True)
class Folders:
    """Keys live apart from the data, like compose's secret volumes: a restore brings back
    data, not keys. SQLite + local disk unless a `database_url` (one for both services, as
    `DATABASE_URL`) and S3 `storage` are given."""

    data: Path
    keys: Path
    database_url: str = ""
    storage: StorageSettings | None = None

    def auth_settings(self, nats_url: str) -> AuthSettings:
        return AuthSettings(
            data_dir=self.data,
            nats_url=nats_url,
            database_url=self.database_url,
            grpc_port=0,
            bcrypt_cost=4,
            signing_key_file=self.keys / "jwt.pem",
            jwt_public_key_file=self.keys / "jwt.pub.pem",
        )

    def library_settings(self, nats_url: str) -> LibrarySettings:
        return LibrarySettings(
            data_dir=self.data,
            nats_url=nats_url,
            database_url=self.database_url,
            grpc_port=0,
            jwt_public_key_file=self.keys / "jwt.pub.pem",
        )

    def notifier_settings(self, nats_url: str) -> NotifierSettings:
        return NotifierSettings(
            data_dir=self.data, nats_url=nats_url, database_url=self.database_url, grpc_port=0
        )

    def storage_settings(self) -> StorageSettings:
        if self.storage is not None:
            return self.storage
        return StorageSettings(storage_backend="local", data_dir=self.data)

    def deployment(self, nats_url: str) -> Deployment:
        return deployment_from_settings(
            self.auth_settings(nats_url),
            self.library_settings(nats_url),
            self.storage_settings(),
            self.notifier_settings(nats_url),
        )


@dataclass
class Running:
    auth: auth_pb2_grpc.AuthServiceAsyncStub
    library: LibraryHarness


@asynccontextmanager
async def running(folders: Folders, nats_url: str) -> AsyncIterator[Running]:
    auth_settings = folders.auth_settings(nats_url)
    auth_app = await start_auth(auth_settings)
    library_settings = folders.library_settings(nats_url)
    library_app = await start_library(library_settings, folders.storage_settings())
    bus = await EventBus.connect(nats_url, source="test-ops")
    auth_channel = grpc.aio.insecure_channel(f"127.0.0.1:{auth_app.port}")
    library_channel = grpc.aio.insecure_channel(f"127.0.0.1:{library_app.port}")
    key = load_or_create_signing_key(auth_settings.signing_key_file, folders.keys / "jwt.pub.pem")
    try:
        yield Running(
            auth=auth_pb2_grpc.AuthServiceStub(auth_channel),  # type: ignore[arg-type]
            library=LibraryHarness(
                app=library_app,
                library=library_pb2_grpc.LibraryServiceStub(library_channel),  # type: ignore[arg-type]
                jobs=library_pb2_grpc.JobsServiceStub(library_channel),  # type: ignore[arg-type]
                settings=library_settings,
                store=store_from_settings(folders.storage_settings()),
                bus=bus,
                issuer=AccessTokenIssuer(
                    key=key,
                    issuer=library_settings.jwt_issuer,
                    audience=library_settings.jwt_audience,
                    ttl=timedelta(minutes=15),
                ),
                backend="postgres-s3" if folders.storage else "sqlite-local",
            ),
        )
    finally:
        await auth_channel.close()
        await library_channel.close()
        await bus.close()
        await library_app.stop(grace=1)
        await auth_app.stop(grace=1)


def fresh_s3_settings(s3: SeaweedS3) -> StorageSettings:
    """S3 settings with buckets no other test uses."""
    suffix = uuid.uuid4().hex[:8]
    return StorageSettings(
        storage_backend="s3",
        s3_endpoint=s3.url,
        s3_access_key=s3.access_key,
        s3_secret_key=SecretStr(s3.secret_key),
        s3_bucket_uploads=f"up-{suffix}",
        s3_bucket_pdfs=f"pdf-{suffix}",
        s3_bucket_temp=f"tmp-{suffix}",
        s3_bucket_transcripts=f"tr-{suffix}",
    )


def tone_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    """A short sine tone: valid audio without a speech synthesizer."""
    time = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 440 * time) * 8000).astype(np.int16)
    return media.write_audio(samples, rate, path)
