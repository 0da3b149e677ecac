"""Transcriber service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class TranscriberSettings(ServiceSettings):
    service_name: str = "transcriber"
    grpc_port: int = Field(default=50053, validation_alias=env_alias("TRANSCRIBER_GRPC_PORT"))
