"""speechflow-admin backup -> wipe -> restore brings back accounts, documents and files."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import grpc
import grpc.aio
import pytest

from services.admin.backup import create_backup, restore_backup
from services.admin.databases import TargetNotEmpty
from services.admin.objects import CorruptBackup
from services.kernel.db import upgrade_schema
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.storage.s3 import S3ObjectStore
from services.mesh.nats_server import NatsServer
from services.mesh.postgres import PostgresServer
from services.mesh.s3_server import SeaweedS3
from services.notifier.app import MIGRATIONS as NOTIFIER_MIGRATIONS
from speechflow.auth.v1 import auth_pb2
from speechflow.library.v1 import library_pb2
from tests.fixtures.infra import unique_database_name
from tests.library.conftest import User
from tests.library.helpers import complete_pipeline, job_of, upload
from tests.ops.deployment_harness import Folders, Running, fresh_s3_settings, running, tone_wav

FAKE_PDF = b"%PDF-1.4\n% the renderer's output, as far as backups care\n%%EOF\n"
PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


async def download(run: Running, user: User, document_id: str, kind: int) -> bytes:
    call = run.library.library.DownloadDocument(
        library_pb2.DownloadDocumentRequest(document_id=document_id, kind=kind),  # type: ignore[arg-type]
        metadata=user.metadata,
    )
    return b"".join([message.data async for message in call])


async def wait_until_completed(run: Running, user: User, document_id: str) -> None:
    """Until the last stage's event is applied: a backup taken earlier holds a document still
    PROCESSING, which is right for the backup but not what this test restores."""
    for _ in range(200):
        response = await run.library.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
        )
        if (
            response.document.has_pdf
            and response.document.status == library_pb2.DOCUMENT_STATUS_COMPLETED
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the document never completed")


async def fill(run: Running, recording: Path) -> tuple[User, str]:
    """An account with one processed document (original and PDF stored)."""
    registered = await run.auth.Register(
        auth_pb2.RegisterRequest(email="ada@example.com", password=PASSWORD, name="Ada")
    )
    user = User(registered.user.id, registered.user.email, registered.tokens.access_token)
    document = await upload(run.library, user, recording, title="Board meeting")
    job = await job_of(run.library, document.id)
    await complete_pipeline(run.library.bus, job, tag=f"backup-{document.id}")
    run.library.store.put_bytes(
        f"pdfs/{user.id}/{document.id}/document.pdf", FAKE_PDF, "application/pdf"
    )
    await wait_until_completed(run, user, document.id)
    return user, document.id


@pytest.mark.asyncio
async def test_backup_wipe_restore_brings_back_accounts_documents_and_files(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    recording = tone_wav(tmp_path / "meeting.wav")
    original = Folders(data=tmp_path / "data", keys=tmp_path / "keys")
    async with running(original, nats_server.url) as run:
        user, document_id = await fill(run, recording)
    backups = tmp_path / "backups"
    backups.mkdir()
    backup = create_backup(original.deployment(nats_server.url), backups, NOW)
    shutil.rmtree(original.data)

    fresh = Folders(data=tmp_path / "fresh-data", keys=tmp_path / "keys")
    report = restore_backup(backup, fresh.deployment(nats_server.url))
    assert report.databases == ["auth", "library"]
    assert report.objects == 2  # the original and the PDF

    async with running(fresh, nats_server.url) as run:
        login = await run.auth.Login(auth_pb2.LoginRequest(email=user.email, password=PASSWORD))
        assert login.user.id == user.id
        user = User(user.id, user.email, login.tokens.access_token)
        document = await run.library.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
        )
        assert document.document.title == "Board meeting"
        assert document.document.status == library_pb2.DOCUMENT_STATUS_COMPLETED
        pdf = await download(run, user, document_id, library_pb2.FILE_KIND_PDF)
        assert pdf == FAKE_PDF
        audio = await download(run, user, document_id, library_pb2.FILE_KIND_ORIGINAL)
        assert audio == recording.read_bytes()


@pytest.mark.asyncio
async def test_restore_refuses_a_deployment_that_already_has_data(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    folders = Folders(data=tmp_path / "data", keys=tmp_path / "keys")
    async with running(folders, nats_server.url):
        pass  # migrations create the tables
    backup = create_backup(folders.deployment(nats_server.url), tmp_path, NOW)
    with pytest.raises(TargetNotEmpty):
        restore_backup(backup, folders.deployment(nats_server.url))


@pytest.mark.asyncio
async def test_restore_rejects_a_file_that_changed_since_the_backup(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    folders = Folders(data=tmp_path / "data", keys=tmp_path / "keys")
    async with running(folders, nats_server.url) as run:
        await fill(run, tone_wav(tmp_path / "meeting.wav"))
    backup = create_backup(folders.deployment(nats_server.url), tmp_path / "b", NOW)
    manifest = json.loads((backup / "manifest.json").read_text())
    pdf = next(item["key"] for item in manifest["objects"] if item["key"].startswith("pdfs/"))
    (backup / "objects" / pdf).write_bytes(b"%PDF-tampered")
    fresh = Folders(data=tmp_path / "fresh", keys=tmp_path / "keys")
    with pytest.raises(CorruptBackup):
        restore_backup(backup, fresh.deployment(nats_server.url))


def test_a_backup_folder_is_named_after_its_time_and_lists_its_contents(tmp_path: Path) -> None:
    folders = Folders(data=tmp_path / "data", keys=tmp_path / "keys")
    deployment = folders.deployment("nats://127.0.0.1:1")
    for url in deployment.databases.values():
        Path(url.removeprefix("sqlite:///")).touch()
    backup = create_backup(deployment, tmp_path / "backups", NOW)
    assert backup.name == "speechflow-20260301T020000Z"
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["databases"] == {
        "auth": "auth.sqlite",
        "library": "library.sqlite",
        "notifier": "notifier.sqlite",
    }
    assert manifest["objects"] == []
    with pytest.raises(FileExistsError):
        create_backup(deployment, tmp_path / "backups", NOW)


def test_webhooks_come_back_with_a_restore(tmp_path: Path) -> None:
    # The notifier keeps webhooks (and their secrets) in a database of its own.
    source = Folders(data=tmp_path / "data", keys=tmp_path / "keys").deployment("nats://x:1")
    notifier_db = source.databases["notifier"]
    upgrade_schema(notifier_db, NOTIFIER_MIGRATIONS, "alembic_version_notifier")
    with closing(sqlite3.connect(notifier_db.removeprefix("sqlite:///"))) as db, db:
        db.execute(
            "INSERT INTO webhooks (id, owner_id, url, events, description, secret, enabled,"
            " create_time, update_time) VALUES ('w1', 'u1', 'https://hooks.example/x',"
            " 'document.completed', '', 'whsec_c2VjcmV0', 1, ?, ?)",
            (NOW.isoformat(), NOW.isoformat()),
        )
    for url in source.databases.values():
        Path(url.removeprefix("sqlite:///")).touch()
    backup = create_backup(source, tmp_path / "backups", NOW)

    target = Folders(data=tmp_path / "restored", keys=tmp_path / "keys").deployment("nats://x:1")
    restore_backup(backup, target)
    restored = target.databases["notifier"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(restored)) as db:
        rows = db.execute("SELECT id, url, secret FROM webhooks").fetchall()
    assert rows == [("w1", "https://hooks.example/x", "whsec_c2VjcmV0")]


@pytest.mark.postgres
@pytest.mark.asyncio
async def test_backup_restore_on_postgresql_and_s3_with_one_database_url(
    tmp_path: Path, nats_server: NatsServer, postgres_server: PostgresServer, s3_server: SeaweedS3
) -> None:
    """Both services share one DATABASE_URL (each in its own schema); the restore goes to a
    new database, new buckets and a new signing key, as after `docker compose down -v`."""
    names = [unique_database_name(f"backup_{which}") for which in ("original", "fresh")]
    original_url, fresh_url = (postgres_server.create_database(name) for name in names)
    try:
        recording = tone_wav(tmp_path / "meeting.wav")
        original = Folders(tmp_path / "data", tmp_path / "keys", original_url, s3(s3_server))
        async with running(original, nats_server.url) as run:
            user, document_id = await fill(run, recording)
            signed_in = await run.auth.Login(
                auth_pb2.LoginRequest(email=user.email, password=PASSWORD)
            )
        backup = create_backup(original.deployment(nats_server.url), tmp_path / "backups", NOW)
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["databases"] == {"auth": "auth.pgdump", "library": "library.pgdump"}

        fresh = Folders(tmp_path / "fresh", tmp_path / "new-keys", fresh_url, s3(s3_server))
        report = restore_backup(backup, fresh.deployment(nats_server.url))
        assert report.databases == ["auth", "library"]
        assert report.objects == 2

        async with running(fresh, nats_server.url) as run:
            # What docs/deploying.md promises: the new key refuses old access tokens, while
            # a refresh token from before the backup (kept in the database) still works.
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await run.auth.GetMe(
                    auth_pb2.GetMeRequest(),
                    metadata=(("authorization", f"Bearer {signed_in.tokens.access_token}"),),
                )
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            refreshed = await run.auth.RefreshToken(
                auth_pb2.RefreshTokenRequest(refresh_token=signed_in.tokens.refresh_token)
            )
            user = User(user.id, user.email, refreshed.tokens.access_token)
            document = await run.library.library.GetDocument(
                library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
            )
            assert document.document.status == library_pb2.DOCUMENT_STATUS_COMPLETED
            assert await download(run, user, document_id, library_pb2.FILE_KIND_PDF) == FAKE_PDF
            audio = await download(run, user, document_id, library_pb2.FILE_KIND_ORIGINAL)
            assert audio == recording.read_bytes()
    finally:
        for name in names:
            postgres_server.drop_database(name)


def s3(server: SeaweedS3) -> StorageSettings:
    """New buckets, created as `speechflow-admin init-storage` would."""
    settings = fresh_s3_settings(server)
    store = store_from_settings(settings)
    assert isinstance(store, S3ObjectStore)
    store.ensure_buckets()
    return settings
