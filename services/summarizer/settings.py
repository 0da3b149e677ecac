"""Summarizer service settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.kernel.settings import env_alias
from services.kernel.stage import StageSettings


class SummarizerSettings(StageSettings):
    service_name: str = "summarizer"
    grpc_port: int = Field(default=50054, validation_alias=env_alias("SUMMARIZER_GRPC_PORT"))
    # Any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp's server), tried first.
    llm_base_url: str = Field(default="", validation_alias=env_alias("LLM_BASE_URL"))
    llm_model: str = Field(default="", validation_alias=env_alias("LLM_MODEL"))
    llm_api_key: str = Field(default="", validation_alias=env_alias("LLM_API_KEY"))
    llm_context_tokens: int = Field(
        default=8192, ge=1024, validation_alias=env_alias("LLM_CONTEXT_TOKENS")
    )
    openrouter_api_key: str = Field(default="", validation_alias=env_alias("OPENROUTER_API_KEY"))
    openrouter_base_url: str = Field(
        default="https://openrouter.ai/api/v1", validation_alias=env_alias("OPENROUTER_BASE_URL")
    )
    groq_api_key: str = Field(default="", validation_alias=env_alias("GROQ_API_KEY"))
    groq_base_url: str = Field(
        default="https://api.groq.com", validation_alias=env_alias("GROQ_BASE_URL")
    )
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, validation_alias=env_alias("SUMMARIZER_LLM_TIMEOUT_SECONDS")
    )
    # All language models together get this long; then the extractive summary is used.
    llm_time_budget_seconds: float = Field(
        default=900.0, gt=0, validation_alias=env_alias("SUMMARIZER_LLM_TIME_BUDGET_SECONDS")
    )
    # The bundled local model (Qwen2.5-Coder-1.5B-Instruct, in-process), loaded at start-up.
    local_llm_enabled: bool = Field(
        default=True, validation_alias=env_alias("SUMMARIZER_LOCAL_LLM_ENABLED")
    )
    # A GGUF file to use instead of the bundled model; empty for the bundled one.
    local_llm_model_path: str = Field(
        default="", validation_alias=env_alias("SUMMARIZER_LOCAL_LLM_MODEL_PATH")
    )
    # Where the bundled model's parts are joined (once); default DATA_DIR/models, shared
    # with the Whisper models.
    local_llm_cache_dir: Path | None = Field(
        default=None, validation_alias=env_alias("SUMMARIZER_LOCAL_LLM_CACHE_DIR")
    )
    local_llm_threads: int = Field(
        default=2, ge=1, validation_alias=env_alias("SUMMARIZER_LOCAL_LLM_THREADS")
    )
    local_llm_context_tokens: int = Field(
        default=4096, ge=1024, validation_alias=env_alias("SUMMARIZER_LOCAL_LLM_CONTEXT_TOKENS")
    )
