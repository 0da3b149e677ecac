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

    @property
    def outbox_dir(self) -> Path:
        return self.email_outbox_dir or self.data_dir / "outbox"

    def leftovers(self) -> list[Leftovers]:
        # A crash between writing an email and linking it into place leaves `.*.eml.tmp`.
        return [*super().leftovers(), Leftovers(self.outbox_dir, ".*.eml.tmp")]
