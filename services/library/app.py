"""Composition root of the library service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.worker import start_worker_service
from services.library.settings import LibrarySettings
from speechflow.library.v1 import library_pb2, library_pb2_grpc

SERVICE = library_pb2.DESCRIPTOR.services_by_name["LibraryService"].full_name
JOBS_SERVICE = library_pb2.DESCRIPTOR.services_by_name["JobsService"].full_name


async def start_library(settings: LibrarySettings) -> ServiceApp:
    app, _bus = await start_worker_service(
        name="library",
        settings=settings,
        service_name=SERVICE,
        register=lambda server: library_pb2_grpc.add_LibraryServiceServicer_to_server(
            library_pb2_grpc.LibraryServiceServicer(),  # type: ignore[abstract]
            server,
        ),
    )
    return app
