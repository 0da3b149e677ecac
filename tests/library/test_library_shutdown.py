"""Stopping the library in-process: its event consumers stop (and NATS drains) before the
database they write to is closed, so a handler that is still running never meets a disposed
engine (issue 15, bug f)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from services.auth.keys import load_or_create_signing_key
from services.kernel.storage import StorageSettings
from services.library.app import start_library
from services.library.settings import LibrarySettings
from services.mesh.nats_server import NatsServer

Closer = Callable[[], Awaitable[None]]


def recorded(close: Closer, order: list[str]) -> Closer:
    name = getattr(close, "__qualname__", repr(close))

    async def run() -> None:
        order.append(name)
        await close()

    return run


async def test_consumers_stop_before_the_database_closes(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    keys = tmp_path / "keys"
    load_or_create_signing_key(keys / "jwt.pem", keys / "jwt.pub.pem")
    settings = LibrarySettings(
        data_dir=tmp_path,
        nats_url=nats_server.url,
        grpc_port=0,
        jwt_public_key_file=keys / "jwt.pub.pem",
    )
    app = await start_library(settings, StorageSettings(storage_backend="local", data_dir=tmp_path))
    order: list[str] = []
    app.closers = [recorded(close, order) for close in app.closers]

    await app.stop(grace=2)

    assert {"EventBus.close", "Database.dispose"} <= set(order), order
    assert order.index("EventBus.close") < order.index("Database.dispose"), order
    assert order[-1] == "Database.dispose", order
