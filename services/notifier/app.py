"""Composition root of the notifier service."""

from __future__ import annotations

from datetime import timedelta

from services.kernel.app import ServiceApp
from services.kernel.links import download_signing_secret, files_base_url
from services.kernel.stage import start_stage_service
from services.kernel.storage import StorageSettings, local_url_signer, store_from_settings
from services.kernel.worker import JobCounters
from services.notifier.api import NotifierServicer
from services.notifier.email import sender_from_settings
from services.notifier.settings import NotifierSettings
from services.notifier.worker import NotificationWorker
from speechflow.library.v1 import library_pb2
from speechflow.notifier.v1 import notifier_pb2, notifier_pb2_grpc

SERVICE = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"].full_name


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
    servicer = NotifierServicer(counters)
    secret = download_signing_secret(settings.data_dir, settings.download_signing_secret)
    store = store_from_settings(
        storage or StorageSettings(data_dir=settings.data_dir),
        url_signer=local_url_signer(secret, files_base_url(settings.public_base_url)),
    )
    return await start_stage_service(
        name="notifier",
        stage=library_pb2.STAGE_NOTIFICATION,
        settings=settings,
        counters=counters,
        service_name=SERVICE,
        register=lambda server: notifier_pb2_grpc.add_NotifierServiceServicer_to_server(
            servicer, server
        ),
        handler_for=lambda bus, versions: (
            NotificationWorker(
                bus=bus,
                versions=versions,
                store=store,
                sender=sender,
                public_base_url=settings.public_base_url,
                link_ttl=timedelta(seconds=settings.download_url_ttl_seconds),
            ).handle
        ),
    )
