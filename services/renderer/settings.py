"""Renderer service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class RendererSettings(ServiceSettings):
    service_name: str = "renderer"
    grpc_port: int = Field(default=50055, validation_alias=env_alias("RENDERER_GRPC_PORT"))
