"""A library service in the test's own event loop, with a signed-in user: for scenarios that
need to reach inside (its database) or run many quick calls (property-based tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc.aio

from services.auth.keys import AccessTokenIssuer, load_or_create_signing_key
from services.kernel.storage import StorageSettings
from services.kernel.tokens import Role
from services.library.app import start_library
from services.library.settings import LibrarySettings
from speechflow.library.v1 import library_pb2_grpc


@dataclass
class InProcessLibrary:
    library: library_pb2_grpc.LibraryServiceAsyncStub
    user_id: str
    metadata: tuple[tuple[str, str], ...]


@asynccontextmanager
async def library_in_process(
    data_dir: Path, nats_url: str, database_url: str = "", max_upload_bytes: int = 1_000_000
) -> AsyncIterator[InProcessLibrary]:
    keys = data_dir / "keys"
    key = load_or_create_signing_key(keys / "jwt.pem", keys / "jwt.pub.pem")
    settings = LibrarySettings(
        data_dir=data_dir,
        nats_url=nats_url,
        database_url=database_url,
        grpc_port=0,
        jwt_public_key_file=keys / "jwt.pub.pem",
        max_upload_bytes=max_upload_bytes,
        max_chunk_bytes=64 * 1024,
    )
    app = await start_library(settings, StorageSettings(storage_backend="local", data_dir=data_dir))
    issuer = AccessTokenIssuer(
        key=key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(hours=1),
    )
    user_id = str(uuid.uuid4())
    token, _ = issuer.issue(
        user_id=user_id,
        email=f"{user_id[:8]}@example.com",
        name="Prop",
        role=Role.USER,
        now=datetime.now(UTC),
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
    try:
        yield InProcessLibrary(
            library=library_pb2_grpc.LibraryServiceStub(channel),  # type: ignore[arg-type]
            user_id=user_id,
            metadata=(("authorization", f"Bearer {token}"),),
        )
    finally:
        await channel.close()
        await app.stop(grace=1)
