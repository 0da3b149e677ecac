"""Rate limit of the public share-link RPCs, per client address.

Anyone may call them, so without a limit a client could guess tokens or pull exports as fast
as the library can make them. Counts live in this process: a replica of the library limits
what reaches it, which is what protects its CPU; the edge decides the address."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc.aio

from services.kernel.edge_peers import CLIENT_ADDRESS_HEADER, is_edge_peer, parse_ip, peer_host
from services.kernel.errors import ResourceExhausted

Context = grpc.aio.ServicerContext[Any, Any]

# Forget finished windows once this many addresses are tracked, so memory stays bounded.
PRUNE_AT = 10_000


@dataclass
class _Window:
    start: datetime
    count: int


@dataclass(eq=False)
class ClientThrottle:
    """At most `limit` calls per `period` from one client address (a fixed window)."""

    limit: int
    period: timedelta
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _windows: dict[str, _Window] = field(default_factory=dict, init=False, repr=False)

    def claim(self, address: str) -> None:
        now = self.clock()
        if len(self._windows) >= PRUNE_AT:
            self._windows = {
                key: window
                for key, window in self._windows.items()
                if now - window.start < self.period
            }
        window = self._windows.get(address)
        if window is None or now - window.start >= self.period:
            window = self._windows[address] = _Window(start=now, count=0)
        if window.count >= self.limit:
            wait = max(1, math.ceil((window.start + self.period - now).total_seconds()))
            raise ResourceExhausted(
                f"Too many requests for shared documents from your network; try again in {wait} s.",
                reason="SHARE_LINK_RATE_LIMITED",
                metadata={"retry_after_seconds": str(wait), "limit": str(self.limit)},
            )
        window.count += 1


def client_address(context: Context) -> str:
    """What the edge says the client's address is, believed only from a loopback or private
    peer (the edge); otherwise the TCP peer itself."""
    peer = peer_host(context.peer() or "")
    if is_edge_peer(peer):
        for key, value in context.invocation_metadata() or ():
            if key == CLIENT_ADDRESS_HEADER:
                text = value if isinstance(value, str) else value.decode()
                if parse_ip(text) is not None:
                    return text.strip()
    return peer
