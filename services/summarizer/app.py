"""Composition root of the summarizer service."""

from __future__ import annotations

from services.kernel.app import ServiceApp
from services.kernel.stage import StageInput, start_stage_service
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.worker import JobCounters
from services.summarizer.api import SummarizerServicer
from services.summarizer.engine import build_chain
from services.summarizer.settings import SummarizerSettings
from services.summarizer.worker import SummaryWorker
from speechflow.library.v1 import library_pb2
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc

SERVICE = summarizer_pb2.DESCRIPTOR.services_by_name["SummarizerService"].full_name
INPUTS = [
    StageInput("transcriber", ["speechflow.transcriber.v1.transcription.completed"]),
    StageInput("library", ["speechflow.library.v1.summary.requested"]),
]


async def start_summarizer(
    settings: SummarizerSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    chain = build_chain(
        openrouter_api_key=settings.openrouter_api_key or None,
        openrouter_base_url=settings.openrouter_base_url,
        groq_api_key=settings.groq_api_key or None,
        groq_base_url=settings.groq_base_url,
        timeout=settings.llm_timeout_seconds,
    )
    counters = JobCounters(settings={"providers": ", ".join(p.name for p in chain.providers)})
    servicer = SummarizerServicer(counters)
    store = store_from_settings(storage or StorageSettings(data_dir=settings.data_dir))
    return await start_stage_service(
        name="summarizer",
        stage=library_pb2.STAGE_SUMMARIZATION,
        settings=settings,
        counters=counters,
        service_name=SERVICE,
        register=lambda server: summarizer_pb2_grpc.add_SummarizerServiceServicer_to_server(
            servicer, server
        ),
        inputs=INPUTS,
        handler_for=lambda bus: SummaryWorker(bus=bus, store=store, chain=chain).handle,
    )
