"""Library service settings."""

from __future__ import annotations

from services.kernel.settings import ServiceSettings, env_field


class LibrarySettings(ServiceSettings):
    service_name: str = "library"
    grpc_port: int = env_field(50052, "LIBRARY_GRPC_PORT")
    database_url: str = env_field("", "LIBRARY_DATABASE_URL", "DATABASE_URL")
    max_upload_bytes: int = env_field(500 * 1000 * 1000, "LIBRARY_MAX_UPLOAD_BYTES")
    max_chunk_bytes: int = env_field(4 * 1024 * 1024, "LIBRARY_MAX_CHUNK_BYTES")
    # Measured from the decoded audio at upload: transcription memory and time grow with it.
    max_duration_seconds: float = env_field(4 * 3600, "LIBRARY_MAX_DURATION_SECONDS", gt=0)
    upload_session_ttl_seconds: int = env_field(24 * 3600, "LIBRARY_UPLOAD_SESSION_TTL_SECONDS")
    download_url_ttl_seconds: int = env_field(3600, "LIBRARY_DOWNLOAD_URL_TTL_SECONDS")
    # Where browsers reach the API (Envoy); signed local-disk download URLs point here.
    public_base_url: str = env_field("http://localhost:8080", "PUBLIC_BASE_URL")
    # Signs local-disk download URLs; generated and kept under DATA_DIR when empty.
    download_signing_secret: str = env_field("", "LIBRARY_DOWNLOAD_SIGNING_SECRET")
    # The summarizer's own gRPC API: asked whether a summary can be written in another
    # language than the one spoken (only an LLM provider can translate).
    summarizer_address: str = env_field("127.0.0.1:50054", "SUMMARIZER_ADDRESS")
    # Abuse limits (clear RESOURCE_EXHAUSTED answers when reached).
    user_storage_quota_bytes: int = env_field(5 * 1000**3, "LIBRARY_USER_STORAGE_QUOTA_BYTES", ge=0)
    max_concurrent_jobs: int = env_field(10, "LIBRARY_MAX_CONCURRENT_JOBS", ge=1)
    uploads_per_hour: int = env_field(60, "LIBRARY_UPLOADS_PER_HOUR", ge=1)
    regenerations_per_hour: int = env_field(30, "LIBRARY_REGENERATIONS_PER_HOUR", ge=1)
    # Reads of shared documents (page, exports, file links) per client address per minute;
    # anyone may make them, so this is what stands between a token guesser and the CPU.
    share_link_reads_per_minute: int = env_field(120, "LIBRARY_SHARE_LINK_READS_PER_MINUTE", ge=1)
