"""Composition root of the library service: settings -> adapters -> servicers -> server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

import grpc.aio
from sqlalchemy import select

from services.kernel.app import ServiceApp
from services.kernel.db import Database, service_database_url, upgrade_schema
from services.kernel.jetstream import connect_producer, producer_stream
from services.kernel.links import download_signing_secret, files_base_url
from services.kernel.outbox import Outbox
from services.kernel.server import ServiceSpec, start_server
from services.kernel.storage import (
    ObjectStore,
    StorageSettings,
    local_url_signer,
    store_from_settings,
)
from services.kernel.worker import verifier_for
from services.library import search_index
from services.library.accounts import CONSUMER as ACCOUNT_CONSUMER
from services.library.accounts import AccountEvents
from services.library.api import JobsServicer, LibraryServicer
from services.library.api_base import LibraryDependencies
from services.library.events import PIPELINE_PRODUCERS
from services.library.lifecycle.bootstrap import bootstrap
from services.library.limits import LimitGuard, Limits
from services.library.pipeline import PipelineEvents, consumer_specs
from services.library.processed_events import sweep_processed_events
from services.library.settings import LibrarySettings
from services.library.share_links_api import ShareLinkSettings
from services.library.store import OUTBOX, UploadSessionRow
from services.library.summarizer_info import SummarizerTranslation
from services.library.uploads import Uploads
from services.library.watch import WatchHub
from speechflow.library.v1 import library_pb2, library_pb2_grpc

log = logging.getLogger("speechflow.library")
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = library_pb2.DESCRIPTOR.services_by_name["LibraryService"].full_name
JOBS_SERVICE = library_pb2.DESCRIPTOR.services_by_name["JobsService"].full_name
# The signed token or the share link's token is the credential of these.
PUBLIC_METHODS = [
    f"/{SERVICE}/{method}"
    for method in (
        "DownloadFile",
        "GetSharedDocument",
        "ExportSharedDocument",
        "ExportSharedDocumentContent",
        "GetSharedDownloadUrl",
    )
]
SESSION_SWEEP_SECONDS = 300


def database_url(settings: LibrarySettings) -> str:
    return service_database_url(settings.database_url, settings.data_dir, "library")


async def remove_orphan_spool_files(db: Database, spool: Path) -> None:
    """Bytes of uploads that were streaming when the process died: no session owns them."""
    async with db.session() as session:
        owned = {Path(p) for p in await session.scalars(select(UploadSessionRow.spool_path))}
    removed = await asyncio.to_thread(_remove_unowned, spool, owned)
    if removed:
        log.info("orphan upload bytes removed", extra={"files": removed})


def _remove_unowned(spool: Path, owned: set[Path]) -> int:
    orphans = [p for p in spool.glob("*.part") if p not in owned] if spool.exists() else []
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


async def sweep_upload_sessions(library: LibraryServicer) -> None:
    while True:
        with contextlib.suppress(Exception):
            removed = await library.expire_upload_sessions()
            if removed:
                log.info("expired upload sessions removed", extra={"count": removed})
        await asyncio.sleep(SESSION_SWEEP_SECONDS)


async def index_unindexed_documents(db: Database, store: ObjectStore) -> None:
    try:
        await search_index.index_unindexed(db, store)
    except Exception:  # search misses old documents until the next start; serving goes on
        log.exception("indexing documents for search failed")


def library_uploads(
    settings: LibrarySettings, *, db: Database, store: ObjectStore, outbox: Outbox
) -> Uploads:
    """How uploads are taken in, from the settings' limits and the adapters."""
    return Uploads(
        db=db,
        store=store,
        outbox=outbox,
        spool_dir=settings.data_dir / "spool",
        max_bytes=settings.max_upload_bytes,
        max_duration_seconds=settings.max_duration_seconds,
        guard=LimitGuard(
            db,
            Limits(
                storage_quota_bytes=settings.user_storage_quota_bytes,
                max_concurrent_jobs=settings.max_concurrent_jobs,
                uploads_per_hour=settings.uploads_per_hour,
                regenerations_per_hour=settings.regenerations_per_hour,
            ),
        ),
        translation=SummarizerTranslation(settings.summarizer_address),
    )


async def start_library(
    settings: LibrarySettings, storage: StorageSettings | None = None
) -> ServiceApp:
    url = database_url(settings)
    await asyncio.to_thread(upgrade_schema, url, MIGRATIONS, "alembic_version_library")
    db = Database(url)
    secret = download_signing_secret(settings.data_dir, settings.download_signing_secret)
    store = store_from_settings(
        storage or StorageSettings(data_dir=settings.data_dir),
        url_signer=local_url_signer(secret, files_base_url(settings.public_base_url)),
    )
    bus = await connect_producer(settings, "library")
    outbox = Outbox(OUTBOX, source="library")
    hub = WatchHub()
    await hub.start(bus.client)
    await remove_orphan_spool_files(db, settings.data_dir / "spool")
    lifecycle = bootstrap(db=db, outbox=outbox, store=store)
    library = LibraryServicer(
        dependencies=LibraryDependencies(
            db=db,
            store=store,
            outbox=outbox,
            uploads=library_uploads(settings, db=db, store=store, outbox=outbox),
            hub=hub,
            lifecycle=lifecycle,
            max_chunk_bytes=settings.max_chunk_bytes,
            session_ttl=timedelta(seconds=settings.upload_session_ttl_seconds),
            download_ttl=timedelta(seconds=settings.download_url_ttl_seconds),
            download_secret=secret,
        ),
        share_links=ShareLinkSettings(
            public_base_url=settings.public_base_url,
            reads_per_minute=settings.share_link_reads_per_minute,
        ),
    )
    jobs = JobsServicer(db, lifecycle, bus.js)

    def register(server: grpc.aio.Server) -> None:
        library_pb2_grpc.add_LibraryServiceServicer_to_server(library, server)
        library_pb2_grpc.add_JobsServiceServicer_to_server(jobs, server)

    server = await start_server(
        ServiceSpec(
            service_names=[SERVICE, JOBS_SERVICE],
            register=register,
            verifier=verifier_for(settings),
            public_methods=PUBLIC_METHODS,
        ),
        settings.grpc_host,
        settings.grpc_port,
    )
    pipeline = PipelineEvents(lifecycle, store)
    accounts = AccountEvents(db, store, outbox)
    await bus.ensure_streams([producer_stream("auth")])
    bus.start_consumer(ACCOUNT_CONSUMER, accounts.handle)
    # The stages' streams may not exist yet when the library starts first.
    await bus.ensure_streams([producer_stream(p) for p in PIPELINE_PRODUCERS])
    for spec in consumer_specs():
        bus.start_consumer(spec, pipeline.handle)
    background = [
        asyncio.create_task(outbox.run_relay(db, bus)),
        asyncio.create_task(sweep_upload_sessions(library)),
        asyncio.create_task(sweep_processed_events(db)),
        asyncio.create_task(index_unindexed_documents(db, store)),
    ]
    return ServiceApp(
        name="library",
        server=server,
        background=background,
        # Closers run last to first: the watch hub, then the consumers and the NATS
        # connection, and only then the database their handlers write to.
        closers=[db.dispose, bus.close, hub.stop],
        parts={"library": library, "pipeline": pipeline, "db": db, "limits": library.limits},
    )
