"""Summarizer service settings."""

from __future__ import annotations

from pathlib import Path

from services.kernel.settings import env_field
from services.kernel.stage import StageSettings
from services.summarizer.engine.groq_provider import GROQ_BASE_URL
from services.summarizer.engine.openrouter import OPENROUTER_BASE_URL


class SummarizerSettings(StageSettings):
    service_name: str = "summarizer"
    grpc_port: int = env_field(50054, "SUMMARIZER_GRPC_PORT")
    # Any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp's server), tried first.
    llm_base_url: str = env_field("", "LLM_BASE_URL")
    llm_model: str = env_field("", "LLM_MODEL")
    llm_api_key: str = env_field("", "LLM_API_KEY")
    llm_context_tokens: int = env_field(8192, "LLM_CONTEXT_TOKENS", ge=1024)
    openrouter_api_key: str = env_field("", "OPENROUTER_API_KEY")
    openrouter_base_url: str = env_field(OPENROUTER_BASE_URL, "OPENROUTER_BASE_URL")
    groq_api_key: str = env_field("", "GROQ_API_KEY")
    groq_base_url: str = env_field(GROQ_BASE_URL, "GROQ_BASE_URL")
    llm_timeout_seconds: float = env_field(60.0, "SUMMARIZER_LLM_TIMEOUT_SECONDS", gt=0)
    # All language models together get this long; then the extractive summary is used.
    llm_time_budget_seconds: float = env_field(900.0, "SUMMARIZER_LLM_TIME_BUDGET_SECONDS", gt=0)
    # The bundled local model (Qwen2.5-Coder-1.5B-Instruct, in-process), loaded at start-up.
    local_llm_enabled: bool = env_field(True, "SUMMARIZER_LOCAL_LLM_ENABLED")
    # A GGUF file to use instead of the bundled model; empty for the bundled one.
    local_llm_model_path: str = env_field("", "SUMMARIZER_LOCAL_LLM_MODEL_PATH")
    # Where the bundled model's parts are joined (once); default DATA_DIR/models, shared
    # with the Whisper models.
    local_llm_cache_dir: Path | None = env_field(None, "SUMMARIZER_LOCAL_LLM_CACHE_DIR")
    local_llm_threads: int = env_field(2, "SUMMARIZER_LOCAL_LLM_THREADS", ge=1)
    local_llm_context_tokens: int = env_field(4096, "SUMMARIZER_LOCAL_LLM_CONTEXT_TOKENS", ge=1024)
