"""Composition root of the notifier service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.worker import JobCounters, start_worker_service
from services.notifier.api import NotifierServicer
from services.notifier.settings import NotifierSettings
from speechflow.notifier.v1 import notifier_pb2, notifier_pb2_grpc

SERVICE = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"].full_name


async def start_notifier(settings: NotifierSettings) -> ServiceApp:
    counters = JobCounters()
    servicer = NotifierServicer(counters)
    app, _bus = await start_worker_service(
        name="notifier",
        settings=settings,
        service_name=SERVICE,
        register=lambda server: notifier_pb2_grpc.add_NotifierServiceServicer_to_server(
            servicer, server
        ),
    )
    return app
