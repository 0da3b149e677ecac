"""Notifier service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class NotifierSettings(ServiceSettings):
    service_name: str = "notifier"
    grpc_port: int = Field(default=50056, validation_alias=env_alias("NOTIFIER_GRPC_PORT"))
