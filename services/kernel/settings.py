"""Settings shared by every service, read from environment variables (and `.env`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def env_field(
    default: Any,
    *names: str,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
) -> Any:
    """A setting read from the first of these environment variables that is set, else
    `default`; `ge`/`gt`/`le` bound it (a value out of bounds stops the service at start)."""
    return Field(default=default, validation_alias=env_alias(*names), ge=ge, gt=gt, le=le)


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "speechflow"
    data_dir: Path = env_field(Path(".data"), "DATA_DIR")
    log_level: str = env_field("INFO", "LOG_LEVEL")
    grpc_host: str = env_field("127.0.0.1", "GRPC_HOST")
    grpc_port: int = 0
    # One server, or the nodes of a cluster separated by commas (the client fails over).
    nats_url: str = env_field("nats://127.0.0.1:4222", "NATS_URL")
    # Copies a JetStream cluster keeps of each stream (3 survives losing any one node); a
    # single nats-server accepts only 1. Every service must use the same value.
    nats_stream_replicas: int = env_field(1, "NATS_STREAM_REPLICAS", ge=1, le=5)
    # Each service has its own NATS user whose permissions cover only its own subjects; the
    # password lives in a file (mode 0600) that `make up` or compose's nats-auth step writes.
    nats_user: str = env_field("", "NATS_USER")
    nats_password_file: Path | None = env_field(None, "NATS_PASSWORD_FILE")
    # Seconds in-flight RPCs get to finish after SIGTERM.
    shutdown_grace_seconds: float = env_field(10.0, "SHUTDOWN_GRACE_SECONDS")
    jwt_public_key_file: Path = env_field(
        Path(".data/keys/jwt-ed25519.pub.pem"), "JWT_PUBLIC_KEY_FILE"
    )
    # Prometheus `/metrics` on this port (0: off).
    metrics_port: int = env_field(0, "METRICS_PORT", ge=0)
    # The one service behind the edge's reflection route describes the whole API.
    edge_reflection: bool = env_field(False, "EDGE_REFLECTION")
    jwt_issuer: str = env_field("speechflow-auth", "JWT_ISSUER")
    jwt_audience: str = env_field("speechflow", "JWT_AUDIENCE")
    # `Bearer sf_…` API keys are exchanged with auth here for a short-lived access token, kept
    # for API_KEY_CACHE_SECONDS (so a revoked key stops working within that time); each key may
    # make API_KEY_REQUESTS_PER_MINUTE calls to each service.
    auth_address: str = env_field("127.0.0.1:50051", "AUTH_ADDRESS")
    api_key_cache_seconds: float = env_field(30.0, "API_KEY_CACHE_SECONDS", ge=0, le=300)
    api_key_requests_per_minute: int = env_field(600, "API_KEY_REQUESTS_PER_MINUTE", ge=1)

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
