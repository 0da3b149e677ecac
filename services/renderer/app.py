"""Composition root of the renderer service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.worker import JobCounters, start_worker_service
from services.renderer.api import RendererServicer
from services.renderer.settings import RendererSettings
from speechflow.renderer.v1 import renderer_pb2, renderer_pb2_grpc

SERVICE = renderer_pb2.DESCRIPTOR.services_by_name["RendererService"].full_name


async def start_renderer(settings: RendererSettings) -> ServiceApp:
    counters = JobCounters()
    servicer = RendererServicer(counters)
    app, _bus = await start_worker_service(
        name="renderer",
        settings=settings,
        service_name=SERVICE,
        register=lambda server: renderer_pb2_grpc.add_RendererServiceServicer_to_server(
            servicer, server
        ),
    )
    return app
