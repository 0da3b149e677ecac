"""Renderer service settings."""

from __future__ import annotations

from services.kernel.settings import env_field
from services.kernel.stage import StageSettings


class RendererSettings(StageSettings):
    service_name: str = "renderer"
    grpc_port: int = env_field(50055, "RENDERER_GRPC_PORT")
