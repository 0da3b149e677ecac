"""Composition root of the notifier service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from services.kernel import catalogue
from services.kernel.accounts import DeletedAccounts
from services.kernel.app import ServiceApp
from services.kernel.db import Database, service_database_url, upgrade_schema
from services.kernel.jetstream import EventBus, ReceivedEvent, RetryPolicy, producer_stream
from services.kernel.links import download_signing_secret, files_base_url
from services.kernel.stage import StageApi, stage_consumer, start_stage_service
from services.kernel.storage import (
    ObjectStore,
    StorageSettings,
    local_url_signer,
    store_from_settings,
)
from services.kernel.versions import CurrentVersions
from services.kernel.worker import JobCounters
from services.notifier.api import NotifierServicer
from services.notifier.email import sender_from_settings
from services.notifier.settings import NotifierSettings
from services.notifier.webhooks.book import WebhookBook
from services.notifier.webhooks.delivery import AccountDeletions, WebhookDeliveries, WebhookSender
from services.notifier.webhooks.payload import PayloadBuilder
from services.notifier.worker import NotificationWorker
from speechflow.notifier.v1 import notifier_pb2, notifier_pb2_grpc

SERVICE = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Longest wait between two attempts of a webhook delivery.
WEBHOOK_MAX_RETRY_DELAY_SECONDS = 600.0


@dataclass
class _StageParts:
    bus: EventBus | None = None
    versions: CurrentVersions | None = None


def database_url(settings: NotifierSettings) -> str:
    return service_database_url(settings.database_url, settings.data_dir, "notifier")


async def start_notifier(
    settings: NotifierSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    sender = sender_from_settings(
        settings.resend_api_key or None,
        settings.resend_api_url,
        settings.email_from,
        settings.outbox_dir,
    )
    counters = JobCounters(
        settings={
            "transport": "resend" if settings.resend_api_key else f"outbox ({settings.outbox_dir})",
            "from": settings.email_from,
        }
    )
    url = database_url(settings)
    await asyncio.to_thread(upgrade_schema, url, MIGRATIONS, "alembic_version_notifier")
    db = Database(url)
    book = WebhookBook(db, allow_private_targets=settings.webhooks_allow_private_targets)
    api = StageApi(
        SERVICE,
        NotifierServicer(counters, book),
        notifier_pb2_grpc.add_NotifierServiceServicer_to_server,
    )
    secret = download_signing_secret(settings.data_dir, settings.download_signing_secret)
    store = store_from_settings(
        storage or StorageSettings(data_dir=settings.data_dir),
        url_signer=local_url_signer(secret, files_base_url(settings.public_base_url)),
    )
    # The stage runtime hands its bus and followed versions to the handler factory; the
    # webhook consumers start on the same ones once the stage is up.
    started = _StageParts()

    def notification_handler(
        bus: EventBus, versions: CurrentVersions
    ) -> Callable[[ReceivedEvent], Awaitable[None]]:
        started.bus, started.versions = bus, versions
        return NotificationWorker(
            bus=bus,
            versions=versions,
            store=store,
            sender=sender,
            public_base_url=settings.public_base_url,
            link_ttl=timedelta(seconds=settings.download_url_ttl_seconds),
        ).handle

    app = await start_stage_service(catalogue.NOTIFIER, settings, api, notification_handler)
    app.closers.insert(0, db.dispose)
    assert started.bus is not None
    assert started.versions is not None
    await start_webhooks(app, settings, started.bus, started.versions, db, book, store)
    return app


async def start_webhooks(
    app: ServiceApp,
    settings: NotifierSettings,
    bus: EventBus,
    versions: CurrentVersions,
    db: Database,
    book: WebhookBook,
    store: ObjectStore,
) -> None:
    """Consumes completed and failed versions into signed deliveries, and account deletions."""
    client = httpx.AsyncClient(
        timeout=settings.webhooks_timeout_seconds,
        follow_redirects=False,
        # Deliveries go where their URL says, never through a proxy of the environment.
        trust_env=False,
    )
    app.closers.insert(1, client.aclose)
    deleted_accounts = DeletedAccounts()
    deleted_accounts.follow(bus)
    app.closers.append(deleted_accounts.stop)
    deliveries = WebhookDeliveries(
        db=db,
        sender=WebhookSender(client, allow_private_targets=settings.webhooks_allow_private_targets),
        payloads=PayloadBuilder(
            store,
            settings.public_base_url,
            timedelta(seconds=settings.download_url_ttl_seconds),
        ),
        versions=versions,
        deleted_accounts=deleted_accounts,
        max_attempts=settings.webhooks_max_attempts,
    )
    retry = RetryPolicy(
        max_attempts=settings.webhooks_max_attempts,
        base_delay_seconds=settings.webhooks_retry_base_delay_seconds,
        max_delay_seconds=WEBHOOK_MAX_RETRY_DELAY_SECONDS,
    )
    await bus.ensure_streams([producer_stream(c.producer) for c in catalogue.WEBHOOK_CONSUMERS])
    # Several deliveries at once, so one slow endpoint does not hold up everyone's.
    bus.start_consumer(
        catalogue.NOTIFIER_WEBHOOK_CONSUMER.spec(ack_wait_seconds=settings.ack_wait_seconds),
        deliveries.handle,
        retry=retry,
    )
    bus.start_consumer(
        stage_consumer(catalogue.NOTIFIER_ACCOUNT_CONSUMER, settings),
        AccountDeletions(book).handle,
        retry=RetryPolicy(base_delay_seconds=settings.retry_base_delay_seconds),
    )
