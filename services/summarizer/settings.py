"""Summarizer service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class SummarizerSettings(ServiceSettings):
    service_name: str = "summarizer"
    grpc_port: int = Field(default=50054, validation_alias=env_alias("SUMMARIZER_GRPC_PORT"))
