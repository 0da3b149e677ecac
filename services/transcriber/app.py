"""Composition root of the transcriber service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.worker import JobCounters, start_worker_service
from services.transcriber.api import TranscriberServicer
from services.transcriber.settings import TranscriberSettings
from speechflow.transcriber.v1 import transcriber_pb2, transcriber_pb2_grpc

SERVICE = transcriber_pb2.DESCRIPTOR.services_by_name["TranscriberService"].full_name


async def start_transcriber(settings: TranscriberSettings) -> ServiceApp:
    counters = JobCounters()
    servicer = TranscriberServicer(counters)
    app, _bus = await start_worker_service(
        name="transcriber",
        settings=settings,
        service_name=SERVICE,
        register=lambda server: transcriber_pb2_grpc.add_TranscriberServiceServicer_to_server(
            servicer, server
        ),
    )
    return app
