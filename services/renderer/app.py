"""Composition root of the renderer service."""

from __future__ import annotations

from services.kernel import catalogue
from services.kernel.app import ServiceApp
from services.kernel.stage import StageApi, start_stage_service
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.worker import JobCounters
from services.renderer.api import RendererServicer
from services.renderer.settings import RendererSettings
from services.renderer.worker import RenderWorker
from speechflow.renderer.v1 import renderer_pb2, renderer_pb2_grpc

SERVICE = renderer_pb2.DESCRIPTOR.services_by_name["RendererService"]


async def start_renderer(
    settings: RendererSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    counters = JobCounters(settings={"engine": "reportlab"})
    api = StageApi(
        SERVICE, RendererServicer(counters), renderer_pb2_grpc.add_RendererServiceServicer_to_server
    )
    store = store_from_settings(storage or StorageSettings(data_dir=settings.data_dir))
    return await start_stage_service(
        catalogue.RENDERER,
        settings,
        api,
        lambda bus, versions: RenderWorker(bus=bus, store=store, versions=versions).handle,
    )
