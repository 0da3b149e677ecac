"""speechflow-admin cleanup: day-old temp objects and expired upload sessions go, on local
disk and S3 alike; the clock is injected, so nothing waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.admin.cleanup import cleanup, remove_stale_temp_objects
from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.mesh.nats_server import NatsServer
from speechflow.library.v1 import library_pb2
from tests.ops.deployment_harness import Folders, fresh_s3_settings, running


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return store_from_settings(StorageSettings(storage_backend="local", data_dir=tmp_path))
    s3 = request.getfixturevalue("s3_server")
    return store_from_settings(fresh_s3_settings(s3))


def test_temp_objects_are_removed_once_a_day_old_and_nothing_else_is(store: ObjectStore) -> None:
    store.put_bytes("temp/d1/audio.wav", b"scratch", "audio/wav")
    store.put_bytes("temp/d2/chunk-0.wav", b"scratch", "audio/wav")
    store.put_bytes("pdfs/u1/d1/document.pdf", b"%PDF", "application/pdf")
    written = max(info.last_modified for info in store.list("temp/"))

    assert remove_stale_temp_objects(store, now=written + timedelta(hours=23)) == 0
    assert len(list(store.list("temp/"))) == 2

    assert remove_stale_temp_objects(store, now=written + timedelta(hours=24, minutes=1)) == 2
    assert list(store.list("temp/")) == []
    assert store.get_bytes("pdfs/u1/d1/document.pdf") == b"%PDF"


@pytest.mark.asyncio
async def test_abandoned_upload_sessions_and_their_bytes_are_removed_after_expiry(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    folders = Folders(data=tmp_path / "data", keys=tmp_path / "keys")
    async with running(folders, nats_server.url) as run:
        user = run.library.user()
        started = await run.library.library.StartUpload(
            library_pb2.StartUploadRequest(
                metadata=library_pb2.UploadMetadata(file_name="talk.wav", size_bytes=10)
            ),
            metadata=user.metadata,
        )
        await run.library.library.UploadChunk(
            library_pb2.UploadChunkRequest(upload_id=started.upload_id, offset=0, data=b"12345"),
            metadata=user.metadata,
        )
        expires = started.expire_time.ToDatetime(UTC)
        spooled = run.library.spool_files()
        assert spooled
    deployment = folders.deployment(nats_server.url)
    library_db = deployment.databases["library"]

    early = cleanup(deployment.store, library_db, now=expires - timedelta(minutes=1))
    assert early.upload_sessions_removed == 0
    assert all(path.exists() for path in spooled)

    late = cleanup(deployment.store, library_db, now=expires + timedelta(seconds=1))
    assert late.upload_sessions_removed == 1
    assert not any(path.exists() for path in spooled)
    assert cleanup(deployment.store, library_db, now=datetime.now(UTC) + timedelta(days=2)) == (
        type(late)(temp_objects_removed=0, upload_sessions_removed=0)
    )
