"""Summarizer service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import env_alias
from services.kernel.stage import StageSettings


class SummarizerSettings(StageSettings):
    service_name: str = "summarizer"
    grpc_port: int = Field(default=50054, validation_alias=env_alias("SUMMARIZER_GRPC_PORT"))
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
