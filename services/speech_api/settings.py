"""Settings of the OpenAI-compatible speech-to-text adapter."""

from __future__ import annotations

from pydantic import Field

from services.kernel.settings import ServiceSettings, env_alias


class SpeechApiSettings(ServiceSettings):
    service_name: str = "speech_api"
    # gRPC health (and reflection) for the mesh and Envoy's checks, like every service.
    grpc_port: int = Field(default=50057, validation_alias=env_alias("SPEECH_API_GRPC_PORT"))
    # The HTTP API Envoy routes `/v1/audio/` to; GET /healthz there too.
    http_port: int = Field(default=50058, validation_alias=env_alias("SPEECH_API_HTTP_PORT"))
    library_address: str = Field(
        default="127.0.0.1:50052", validation_alias=env_alias("LIBRARY_ADDRESS")
    )
    # OpenAI's own limit for one file; larger uploads are answered 413.
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, validation_alias=env_alias("SPEECH_API_MAX_UPLOAD_BYTES")
    )
    # How long one request waits for its recording to be transcribed before answering 504.
    transcription_timeout_seconds: float = Field(
        default=3600.0, gt=0, validation_alias=env_alias("SPEECH_API_TRANSCRIPTION_TIMEOUT_SECONDS")
    )
