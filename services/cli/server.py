"""Where the mesh's edge is and how to open a channel to it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import grpc

from services.cli.errors import CliError, ExitCode

DEFAULT_SERVER = "http://localhost:8080"
SERVER_ENVIRONMENT_VARIABLE = "SPEECHFLOW_SERVER"
# Download chunks are 1 MiB; leave room for the message envelope.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServerAddress:
    """The edge (Envoy) as a URL people type and a gRPC target to dial."""

    url: str
    target: str
    secure: bool

    @classmethod
    def parse(cls, text: str) -> ServerAddress:
        """`http://host:port`, `https://host[:port]` or a bare `host:port` (plaintext)."""
        raw = text.strip().rstrip("/")
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CliError(
                f"Not a server address: {text!r} (expected e.g. {DEFAULT_SERVER}).",
                ExitCode.USAGE,
            )
        if parts.path or parts.query:
            raise CliError(f"A server address has no path: {text!r}.", ExitCode.USAGE)
        secure = parts.scheme == "https"
        try:
            port = parts.port or (443 if secure else 80)
        except ValueError:
            raise CliError(f"Not a valid port in {text!r}.", ExitCode.USAGE) from None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return cls(url=f"{parts.scheme}://{host}:{port}", target=f"{host}:{port}", secure=secure)

    @classmethod
    def choose(cls, flag: str | None, environ: Mapping[str, str] = os.environ) -> ServerAddress:
        """--server wins over SPEECHFLOW_SERVER, which wins over the local mesh's address."""
        return cls.parse(flag or environ.get(SERVER_ENVIRONMENT_VARIABLE) or DEFAULT_SERVER)

    def open_channel(self) -> grpc.Channel:
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        if self.secure:
            return grpc.secure_channel(self.target, grpc.ssl_channel_credentials(), options)
        return grpc.insecure_channel(self.target, options)
