"""Library service settings."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class LibrarySettings(ServiceSettings):
    service_name: str = "library"
    grpc_port: int = Field(default=50052, validation_alias=env_alias("LIBRARY_GRPC_PORT"))
    database_url: str = Field(
        default="", validation_alias=env_alias("LIBRARY_DATABASE_URL", "DATABASE_URL")
    )
