"""Settings of the OpenAI-compatible speech-to-text adapter."""

from __future__ import annotations

from services.kernel.settings import ServiceSettings, env_field


class SpeechApiSettings(ServiceSettings):
    service_name: str = "speech_api"
    # gRPC health (and reflection) for the mesh and Envoy's checks, like every service.
    grpc_port: int = env_field(50057, "SPEECH_API_GRPC_PORT")
    # The HTTP API Envoy routes `/v1/audio/` to; GET /healthz there too.
    http_port: int = env_field(50058, "SPEECH_API_HTTP_PORT")
    library_address: str = env_field("127.0.0.1:50052", "LIBRARY_ADDRESS")
    # OpenAI's own limit for one file; larger uploads are answered 413.
    max_upload_bytes: int = env_field(25 * 1024 * 1024, "SPEECH_API_MAX_UPLOAD_BYTES", gt=0)
    # How long one request waits for its recording to be transcribed before answering 504.
    transcription_timeout_seconds: float = env_field(
        3600.0, "SPEECH_API_TRANSCRIPTION_TIMEOUT_SECONDS", gt=0
    )
