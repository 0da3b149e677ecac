"""Notifier service settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.kernel.leftovers import Leftovers
from services.kernel.settings import env_alias
from services.kernel.stage import StageSettings


class NotifierSettings(StageSettings):
    service_name: str = "notifier"
    grpc_port: int = Field(default=50056, validation_alias=env_alias("NOTIFIER_GRPC_PORT"))
    resend_api_key: str = Field(default="", validation_alias=env_alias("RESEND_API_KEY"))
    resend_api_url: str | None = Field(default=None, validation_alias=env_alias("RESEND_API_URL"))
    email_from: str = Field(
        default="SpeechFlow <noreply@speechflow.local>", validation_alias=env_alias("EMAIL_FROM")
    )
    # Without a Resend key, emails are written here as .eml files.
    email_outbox_dir: Path | None = Field(
        default=None, validation_alias=env_alias("EMAIL_OUTBOX_DIR")
    )
    public_base_url: str = Field(
        default="http://localhost:8080", validation_alias=env_alias("PUBLIC_BASE_URL")
    )
    download_url_ttl_seconds: int = Field(
        default=3600, validation_alias=env_alias("LIBRARY_DOWNLOAD_URL_TTL_SECONDS")
    )
    download_signing_secret: str = Field(
        default="", validation_alias=env_alias("LIBRARY_DOWNLOAD_SIGNING_SECRET")
    )
    # Webhooks and their deliveries. Empty: SQLite file under DATA_DIR; on PostgreSQL the
    # tables live in the `notifier` schema.
    database_url: str = Field(
        default="", validation_alias=env_alias("NOTIFIER_DATABASE_URL", "DATABASE_URL")
    )
    # Webhook targets on loopback, private or link-local addresses are refused (a user must
    # not make the server call into its own network) unless this is on (tests, a LAN setup).
    webhooks_allow_private_targets: bool = Field(
        default=False, validation_alias=env_alias("WEBHOOKS_ALLOW_PRIVATE_TARGETS")
    )
    webhooks_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, validation_alias=env_alias("WEBHOOKS_TIMEOUT_SECONDS")
    )
    # Attempts per delivery, with exponential backoff from the base delay (2 s: 2, 4, 8, …,
    # at most 10 minutes apart).
    webhooks_max_attempts: int = Field(
        default=8, ge=1, le=20, validation_alias=env_alias("WEBHOOKS_MAX_ATTEMPTS")
    )
    webhooks_retry_base_delay_seconds: float = Field(
        default=2.0, gt=0, validation_alias=env_alias("WEBHOOKS_RETRY_BASE_DELAY_SECONDS")
    )

    @property
    def outbox_dir(self) -> Path:
        return self.email_outbox_dir or self.data_dir / "outbox"

    def leftovers(self) -> list[Leftovers]:
        # A crash between writing an email and linking it into place leaves `.*.eml.tmp`.
        return [*super().leftovers(), Leftovers(self.outbox_dir, ".*.eml.tmp")]
