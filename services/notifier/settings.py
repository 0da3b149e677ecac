"""Notifier service settings."""

from __future__ import annotations

from pathlib import Path

from services.kernel.download_link_settings import DownloadLinkSettings
from services.kernel.leftovers import Leftovers
from services.kernel.settings import env_field
from services.kernel.stage import StageSettings


class NotifierSettings(StageSettings, DownloadLinkSettings):
    service_name: str = "notifier"
    grpc_port: int = env_field(50056, "NOTIFIER_GRPC_PORT")
    resend_api_key: str = env_field("", "RESEND_API_KEY")
    resend_api_url: str | None = env_field(None, "RESEND_API_URL")
    email_from: str = env_field("SpeechFlow <noreply@speechflow.local>", "EMAIL_FROM")
    # Without a Resend key, emails are written here as .eml files.
    email_outbox_dir: Path | None = env_field(None, "EMAIL_OUTBOX_DIR")
    # Webhooks and their deliveries. Empty: SQLite file under DATA_DIR; on PostgreSQL the
    # tables live in the `notifier` schema.
    database_url: str = env_field("", "NOTIFIER_DATABASE_URL", "DATABASE_URL")
    # Webhook targets on loopback, private or link-local addresses are refused (a user must
    # not make the server call into its own network) unless this is on (tests, a LAN setup).
    webhooks_allow_private_targets: bool = env_field(False, "WEBHOOKS_ALLOW_PRIVATE_TARGETS")
    webhooks_timeout_seconds: float = env_field(10.0, "WEBHOOKS_TIMEOUT_SECONDS", gt=0, le=60)
    # Attempts per delivery, with exponential backoff from the base delay (2 s: 2, 4, 8, …,
    # at most 10 minutes apart).
    webhooks_max_attempts: int = env_field(8, "WEBHOOKS_MAX_ATTEMPTS", ge=1, le=20)
    webhooks_retry_base_delay_seconds: float = env_field(
        2.0, "WEBHOOKS_RETRY_BASE_DELAY_SECONDS", gt=0
    )

    @property
    def outbox_dir(self) -> Path:
        return self.email_outbox_dir or self.data_dir / "outbox"

    def leftovers(self) -> list[Leftovers]:
        # A crash between writing an email and linking it into place leaves `.*.eml.tmp`.
        return [*super().leftovers(), Leftovers(self.outbox_dir, ".*.eml.tmp")]
