"""gRPC-Web framing for tests that speak to Envoy the way a browser does."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import httpx


def grpc_web_frame(message: bytes) -> bytes:
    return struct.pack(">BI", 0, len(message)) + message


@dataclass(frozen=True)
class GrpcWebReply:
    messages: list[bytes]
    trailers: dict[str, str]


def parse_grpc_web_body(body: bytes) -> GrpcWebReply:
    messages: list[bytes] = []
    trailers: dict[str, str] = {}
    offset = 0
    while offset < len(body):
        flag, length = struct.unpack_from(">BI", body, offset)
        payload = body[offset + 5 : offset + 5 + length]
        offset += 5 + length
        if flag & 0x80:
            for line in payload.decode().split("\r\n"):
                if line:
                    name, _, value = line.partition(":")
                    trailers[name.strip().lower()] = value.strip()
        else:
            messages.append(payload)
    return GrpcWebReply(messages, trailers)


def holds_a_whole_frame(body: bytearray) -> bool:
    return len(body) >= 5 and len(body) >= 5 + int.from_bytes(body[1:5], "big")


def grpc_status_of(response: httpx.Response, reply: GrpcWebReply) -> tuple[str, str]:
    """A trailers-only gRPC-Web answer puts the status in headers, otherwise in trailers."""
    status = response.headers.get("grpc-status") or reply.trailers.get("grpc-status", "")
    message = response.headers.get("grpc-message") or reply.trailers.get("grpc-message", "")
    return status, message
