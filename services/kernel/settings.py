"""Settings shared by every service, read from environment variables (and `.env`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.kernel.leftovers import Leftovers


@dataclass(frozen=True)
class NatsCredentials:
    """A NATS user and its password (read from a 0600 file, never from the environment)."""

    user: str
    password: str


def env_alias(*names: str) -> AliasChoices:
    """Accept the service-specific variable first, then the shared one."""
    return AliasChoices(*names)


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "speechflow"
    data_dir: Path = Field(default=Path(".data"), validation_alias=env_alias("DATA_DIR"))
    log_level: str = Field(default="INFO", validation_alias=env_alias("LOG_LEVEL"))
    grpc_host: str = Field(default="127.0.0.1", validation_alias=env_alias("GRPC_HOST"))
    grpc_port: int = 0
    # One server, or the nodes of a cluster separated by commas (the client fails over).
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias=env_alias("NATS_URL"))
    # Copies a JetStream cluster keeps of each stream (3 survives losing any one node); a
    # single nats-server accepts only 1. Every service must use the same value.
    nats_stream_replicas: int = Field(
        default=1, ge=1, le=5, validation_alias=env_alias("NATS_STREAM_REPLICAS")
    )
    # Each service has its own NATS user whose permissions cover only its own subjects; the
    # password lives in a file (mode 0600) that `make up` or compose's nats-auth step writes.
    nats_user: str = Field(default="", validation_alias=env_alias("NATS_USER"))
    nats_password_file: Path | None = Field(
        default=None, validation_alias=env_alias("NATS_PASSWORD_FILE")
    )
    # Seconds in-flight RPCs get to finish after SIGTERM.
    shutdown_grace_seconds: float = Field(
        default=10.0, validation_alias=env_alias("SHUTDOWN_GRACE_SECONDS")
    )
    jwt_public_key_file: Path = Field(
        default=Path(".data/keys/jwt-ed25519.pub.pem"),
        validation_alias=env_alias("JWT_PUBLIC_KEY_FILE"),
    )
    # Prometheus `/metrics` on this port (0: off).
    metrics_port: int = Field(default=0, ge=0, validation_alias=env_alias("METRICS_PORT"))
    # The one service behind the edge's reflection route describes the whole API.
    edge_reflection: bool = Field(default=False, validation_alias=env_alias("EDGE_REFLECTION"))
    jwt_issuer: str = Field(default="speechflow-auth", validation_alias=env_alias("JWT_ISSUER"))
    jwt_audience: str = Field(default="speechflow", validation_alias=env_alias("JWT_AUDIENCE"))
    # `Bearer sf_…` API keys are exchanged with auth here for a short-lived access token, kept
    # for API_KEY_CACHE_SECONDS (so a revoked key stops working within that time); each key may
    # make API_KEY_REQUESTS_PER_MINUTE calls to each service.
    auth_address: str = Field(default="127.0.0.1:50051", validation_alias=env_alias("AUTH_ADDRESS"))
    api_key_cache_seconds: float = Field(
        default=30.0, ge=0, le=300, validation_alias=env_alias("API_KEY_CACHE_SECONDS")
    )
    api_key_requests_per_minute: int = Field(
        default=600, ge=1, validation_alias=env_alias("API_KEY_REQUESTS_PER_MINUTE")
    )

    def nats_credentials(self) -> NatsCredentials | None:
        """The service's NATS login, or None to connect with what `nats_url` carries."""
        if not self.nats_user:
            return None
        if self.nats_password_file is None:
            raise ValueError("NATS_USER is set but NATS_PASSWORD_FILE is not")
        password = self.nats_password_file.read_text(encoding="utf-8").strip()
        return NatsCredentials(self.nats_user, password)

    def leftovers(self) -> list[Leftovers]:
        """Where this service's crashed runs may have left temporary files (swept at start):
        its spool folder and the local object store's half-written objects."""
        from services.kernel.storage.settings import StorageSettings

        objects = StorageSettings(data_dir=self.data_dir).local_root
        return [
            Leftovers(self.data_dir / "spool" / self.service_name, "*"),
            Leftovers(objects / ".partial", "*"),
        ]
