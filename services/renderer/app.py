"""Composition root of the renderer service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.stage import start_stage_service
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.worker import JobCounters
from services.renderer.api import RendererServicer
from services.renderer.settings import RendererSettings
from services.renderer.worker import RenderWorker
from speechflow.library.v1 import library_pb2
from speechflow.renderer.v1 import renderer_pb2, renderer_pb2_grpc

SERVICE = renderer_pb2.DESCRIPTOR.services_by_name["RendererService"].full_name


async def start_renderer(
    settings: RendererSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    counters = JobCounters(settings={"engine": "reportlab"})
    servicer = RendererServicer(counters)
    store = store_from_settings(storage or StorageSettings(data_dir=settings.data_dir))
    return await start_stage_service(
        name="renderer",
        stage=library_pb2.STAGE_RENDERING,
        settings=settings,
        counters=counters,
        service_name=SERVICE,
        register=lambda server: renderer_pb2_grpc.add_RendererServiceServicer_to_server(
            servicer, server
        ),
        handler_for=lambda bus, versions: (
            RenderWorker(bus=bus, store=store, versions=versions).handle
        ),
    )
