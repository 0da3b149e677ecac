"""Auth service settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    grpc_port: int = Field(default=50051, validation_alias=env_alias("AUTH_GRPC_PORT"))
    # Empty: SQLite file under DATA_DIR.
    database_url: str = Field(
        default="", validation_alias=env_alias("AUTH_DATABASE_URL", "DATABASE_URL")
    )
    signing_key_file: Path = Field(
        default=Path(".data/keys/jwt-ed25519.pem"),
        validation_alias=env_alias("AUTH_SIGNING_KEY_FILE"),
    )
    bcrypt_cost: int = Field(
        default=10, ge=4, le=15, validation_alias=env_alias("AUTH_BCRYPT_COST")
    )
    password_min_length: int = Field(
        default=8, ge=6, validation_alias=env_alias("AUTH_PASSWORD_MIN_LENGTH")
    )
    access_token_ttl_seconds: int = Field(
        default=15 * 60, validation_alias=env_alias("AUTH_ACCESS_TOKEN_TTL_SECONDS")
    )
    refresh_token_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        validation_alias=env_alias("AUTH_REFRESH_TOKEN_TTL_SECONDS"),
    )
    login_max_failures: int = Field(
        default=5, validation_alias=env_alias("AUTH_LOGIN_MAX_FAILURES")
    )
    login_failure_window_seconds: int = Field(
        default=15 * 60, validation_alias=env_alias("AUTH_LOGIN_FAILURE_WINDOW_SECONDS")
    )
    # Where ExportMyData reads the caller's folders and documents (with the caller's token).
    library_address: str = Field(
        default="127.0.0.1:50052", validation_alias=env_alias("LIBRARY_ADDRESS")
    )
