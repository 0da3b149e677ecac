"""Composition root of the summarizer service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.kernel import catalogue
from services.kernel.app import ServiceApp
from services.kernel.stage import StageApi, start_stage_service
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.worker import JobCounters
from services.summarizer.api import SummarizerServicer
from services.summarizer.engine import build_chain
from services.summarizer.engine.local_llm import LocalModelSettings, load_local_model
from services.summarizer.settings import SummarizerSettings
from services.summarizer.worker import SummaryWorker
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc

SERVICE = summarizer_pb2.DESCRIPTOR.services_by_name["SummarizerService"]


async def start_summarizer(
    settings: SummarizerSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    # Loaded once per process, before taking jobs (like the Whisper models): 2-6 s.
    local_model = await asyncio.to_thread(
        load_local_model,
        settings.local_llm_enabled,
        LocalModelSettings(
            model_path=Path(settings.local_llm_model_path)
            if settings.local_llm_model_path
            else None,
            cache_dir=(settings.local_llm_cache_dir or settings.data_dir / "models").resolve(),
            threads=settings.local_llm_threads,
            context_tokens=settings.local_llm_context_tokens,
        ),
    )
    chain = build_chain(
        llm_base_url=settings.llm_base_url or None,
        llm_model=settings.llm_model or None,
        llm_api_key=settings.llm_api_key or None,
        llm_context_tokens=settings.llm_context_tokens,
        openrouter_api_key=settings.openrouter_api_key or None,
        openrouter_base_url=settings.openrouter_base_url,
        groq_api_key=settings.groq_api_key or None,
        groq_base_url=settings.groq_base_url,
        local_model=local_model,
        timeout=settings.llm_timeout_seconds,
        time_budget=settings.llm_time_budget_seconds,
    )
    providers = [provider.name for provider in chain.providers]
    counters = JobCounters(
        settings={
            "providers": ", ".join(providers),
            # The library asks before accepting a summary in another language than spoken.
            "translates": str(any(name != "extractive" for name in providers)).lower(),
            "local_llm": local_model.name if local_model is not None else "off",
            "llm_time_budget_seconds": f"{settings.llm_time_budget_seconds:g}",
        }
    )
    api = StageApi(
        SERVICE,
        SummarizerServicer(counters),
        summarizer_pb2_grpc.add_SummarizerServiceServicer_to_server,
    )
    store = store_from_settings(storage or StorageSettings(data_dir=settings.data_dir))
    return await start_stage_service(
        catalogue.SUMMARIZER,
        settings,
        api,
        lambda bus, versions: (
            SummaryWorker(bus=bus, store=store, chain=chain, versions=versions).handle
        ),
    )
