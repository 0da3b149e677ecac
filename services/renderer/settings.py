"""Renderer service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import env_alias
from services.kernel.stage import StageSettings


class RendererSettings(StageSettings):
    service_name: str = "renderer"
    grpc_port: int = Field(default=50055, validation_alias=env_alias("RENDERER_GRPC_PORT"))
