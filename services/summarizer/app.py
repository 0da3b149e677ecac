"""Composition root of the summarizer service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.worker import JobCounters, start_worker_service
from services.summarizer.api import SummarizerServicer
from services.summarizer.settings import SummarizerSettings
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc

SERVICE = summarizer_pb2.DESCRIPTOR.services_by_name["SummarizerService"].full_name


async def start_summarizer(settings: SummarizerSettings) -> ServiceApp:
    counters = JobCounters()
    servicer = SummarizerServicer(counters)
    app, _bus = await start_worker_service(
        name="summarizer",
        settings=settings,
        service_name=SERVICE,
        register=lambda server: summarizer_pb2_grpc.add_SummarizerServiceServicer_to_server(
            servicer, server
        ),
    )
    return app
