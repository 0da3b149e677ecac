"""Bounds on `RenderPreview`, which renders whatever the caller sends on the spot: without
them one request of 20,000 segments made 505 pages (3.5 s of CPU), and a loop of them
would keep the renderer from its real work."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf.message import Message

from services.kernel.errors import InvalidArgument, ResourceExhausted
from speechflow.renderer.v1 import renderer_pb2

# About four hours of speech in ordinary segments, i.e. more than any real preview needs.
MAX_PREVIEW_SEGMENTS = 5_000
MAX_PREVIEW_CHARACTERS = 500_000
PREVIEWS_PER_MINUTE = 20


def text_length(message: Message) -> int:
    """Characters in every string field of the message, nested messages included."""
    total = 0
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else [value]
        for item in values:
            if isinstance(item, str):
                total += len(item)
            elif isinstance(item, Message):
                total += text_length(item)
    return total


def check_preview_size(request: renderer_pb2.RenderPreviewRequest) -> None:
    _check_at_most(
        len(request.transcript.segments),
        MAX_PREVIEW_SEGMENTS,
        "transcript segments",
        reason="TOO_MANY_SEGMENTS",
        metadata_key="max_segments",
    )
    _check_at_most(
        text_length(request),
        MAX_PREVIEW_CHARACTERS,
        "characters of text",
        reason="PREVIEW_TOO_LONG",
        metadata_key="max_characters",
    )


def _check_at_most(count: int, limit: int, what: str, *, reason: str, metadata_key: str) -> None:
    if count > limit:
        raise InvalidArgument(
            f"A preview takes at most {limit:,} {what}; this one has {count:,}.",
            reason=reason,
            metadata={metadata_key: str(limit)},
        )


@dataclass
class PerUserRateLimit:
    """At most `limit` calls per user in any `period_seconds` (a sliding window, kept in this
    process: each renderer replica counts its own share)."""

    limit: int = PREVIEWS_PER_MINUTE
    period_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _recent: dict[str, deque[float]] = field(default_factory=dict)

    def claim(self, user_id: str) -> None:
        now = self.clock()
        recent = self._recent.setdefault(user_id, deque())
        while recent and recent[0] <= now - self.period_seconds:
            recent.popleft()
        if len(recent) >= self.limit:
            wait = max(1, int(recent[0] + self.period_seconds - now + 0.999))
            raise ResourceExhausted(
                f"You made {self.limit} previews in the last minute. Try again in {wait} seconds.",
                reason="PREVIEW_RATE_LIMITED",
                metadata={"retry_after_seconds": str(wait)},
            )
        recent.append(now)
