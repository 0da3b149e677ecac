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
    max_upload_bytes: int = Field(
        default=500 * 1000 * 1000, validation_alias=env_alias("LIBRARY_MAX_UPLOAD_BYTES")
    )
    max_chunk_bytes: int = Field(
        default=4 * 1024 * 1024, validation_alias=env_alias("LIBRARY_MAX_CHUNK_BYTES")
    )
    # Measured from the decoded audio at upload: transcription memory and time grow with it.
    max_duration_seconds: float = Field(
        default=4 * 3600, gt=0, validation_alias=env_alias("LIBRARY_MAX_DURATION_SECONDS")
    )
    upload_session_ttl_seconds: int = Field(
        default=24 * 3600, validation_alias=env_alias("LIBRARY_UPLOAD_SESSION_TTL_SECONDS")
    )
    download_url_ttl_seconds: int = Field(
        default=3600, validation_alias=env_alias("LIBRARY_DOWNLOAD_URL_TTL_SECONDS")
    )
    # Where browsers reach the API (Envoy); signed local-disk download URLs point here.
    public_base_url: str = Field(
        default="http://localhost:8080", validation_alias=env_alias("PUBLIC_BASE_URL")
    )
    # Signs local-disk download URLs; generated and kept under DATA_DIR when empty.
    download_signing_secret: str = Field(
        default="", validation_alias=env_alias("LIBRARY_DOWNLOAD_SIGNING_SECRET")
    )
    # The summarizer's own gRPC API: asked whether a summary can be written in another
    # language than the one spoken (only an LLM provider can translate).
    summarizer_address: str = Field(
        default="127.0.0.1:50054", validation_alias=env_alias("SUMMARIZER_ADDRESS")
    )
    # Abuse limits (clear RESOURCE_EXHAUSTED answers when reached).
    user_storage_quota_bytes: int = Field(
        default=5 * 1000**3, ge=0, validation_alias=env_alias("LIBRARY_USER_STORAGE_QUOTA_BYTES")
    )
    max_concurrent_jobs: int = Field(
        default=10, ge=1, validation_alias=env_alias("LIBRARY_MAX_CONCURRENT_JOBS")
    )
    uploads_per_hour: int = Field(
        default=60, ge=1, validation_alias=env_alias("LIBRARY_UPLOADS_PER_HOUR")
    )
    regenerations_per_hour: int = Field(
        default=30, ge=1, validation_alias=env_alias("LIBRARY_REGENERATIONS_PER_HOUR")
    )
    # Reads of shared documents (page, exports, file links) per client address per minute;
    # anyone may make them, so this is what stands between a token guesser and the CPU.
    share_link_reads_per_minute: int = Field(
        default=120, ge=1, validation_alias=env_alias("LIBRARY_SHARE_LINK_READS_PER_MINUTE")
    )
