"""Composition root of the renderer service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.stage import PipelineStage, StageInput
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.worker import JobCounters, start_worker_service
from services.renderer.api import RendererServicer
from services.renderer.settings import RendererSettings
from services.renderer.worker import RenderWorker
from speechflow.library.v1 import library_pb2
from speechflow.renderer.v1 import renderer_pb2, renderer_pb2_grpc

SERVICE = renderer_pb2.DESCRIPTOR.services_by_name["RendererService"].full_name
INPUTS = [
    StageInput("summarizer", ["speechflow.summarizer.v1.summary.completed"]),
    StageInput("library", ["speechflow.library.v1.render.requested"]),
]


async def start_renderer(
    settings: RendererSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    counters = JobCounters(settings={"engine": "reportlab"})
    servicer = RendererServicer(counters)
    app, bus = await start_worker_service(
        name="renderer",
        settings=settings,
        service_name=SERVICE,
        register=lambda server: renderer_pb2_grpc.add_RendererServiceServicer_to_server(
            servicer, server
        ),
    )
    store = store_from_settings(storage or StorageSettings(data_dir=settings.data_dir))
    stage = PipelineStage(
        name="renderer",
        stage=library_pb2.STAGE_RENDERING,
        bus=bus,
        settings=settings,
        counters=counters,
    )
    await stage.ensure_input_streams(INPUTS)
    stage.start(INPUTS, RenderWorker(bus=bus, store=store).handle)
    app.parts["counters"] = counters
    return app
