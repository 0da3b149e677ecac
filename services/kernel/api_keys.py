"""`authorization: Bearer sf_…`: API keys accepted wherever an access token is.

Services verify access tokens locally, but an API key is an opaque secret only auth can check.
So the auth interceptor hands it to an `ApiKeyExchange` (auth's `ExchangeApiKey`, a short-lived
access token in return) and keeps the answer for `cache_seconds`: a script making many calls
costs auth one exchange per service and cache period, and a revoked key stops working within
that period. Each key is also rate limited here, per service process, by a token bucket.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import grpc
import grpc.aio

from services.kernel.errors import AppError, ResourceExhausted, Unauthenticated, Unavailable
from services.kernel.tokens import Principal, TokenVerifier
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc

API_KEY_PREFIX = "sf_"
# Enough for every key a busy deployment uses at once; the least recently used go first.
MAX_CACHED_KEYS = 1024
EXCHANGE_TIMEOUT_SECONDS = 5.0


def is_api_key(bearer: str) -> bool:
    return bearer.startswith(API_KEY_PREFIX)


class ApiKeyExchange(Protocol):
    async def __call__(self, secret: str) -> str:
        """An access token for the key's user; raises Unauthenticated for a bad key."""


class GrpcApiKeyExchange:
    """Asks auth over gRPC (one channel, opened on first use)."""

    def __init__(self, auth_address: str) -> None:
        self._address = auth_address
        self._channel: grpc.aio.Channel | None = None

    async def __call__(self, secret: str) -> str:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self._address)
        stub: Any = auth_pb2_grpc.AuthServiceStub(self._channel)
        try:
            response = await stub.ExchangeApiKey(
                auth_pb2.ExchangeApiKeyRequest(secret=secret), timeout=EXCHANGE_TIMEOUT_SECONDS
            )
        except grpc.aio.AioRpcError as error:
            raise _error_from(error) from error
        return str(response.access_token)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()


def _error_from(error: grpc.aio.AioRpcError) -> AppError:
    """Auth's answer passed on to our caller; anything unexpected means auth is not reachable."""
    message = error.details() or ""
    if error.code() == grpc.StatusCode.UNAUTHENTICATED:
        return Unauthenticated(message or "The API key is not valid.", reason="API_KEY_INVALID")
    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ResourceExhausted(message, reason="API_KEY_RATE_LIMITED")
    return Unavailable(
        "API keys cannot be checked right now: the auth service is unavailable.",
        reason="AUTH_UNAVAILABLE",
    )


@dataclass
class TokenBucket:
    """`capacity` calls at once, refilled at `capacity` per minute."""

    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """0 if a call may go ahead (and takes its token), else the seconds to wait."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.capacity / 60)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * 60 / self.capacity


@dataclass
class _Cached:
    principal: Principal
    until: float


@dataclass
class ApiKeyAuthenticator:
    """Turns an `sf_…` secret into the caller's Principal (its `access_token` is the exchanged
    token, so calls on the caller's behalf carry a JWT like any other)."""

    exchange: ApiKeyExchange
    # 0: ask auth on every call (auth itself does, its lookup being local).
    cache_seconds: float = 30.0
    requests_per_minute: int = 600
    clock: Callable[[], float] = time.monotonic
    _cache: OrderedDict[str, _Cached] = field(default_factory=OrderedDict)
    _buckets: OrderedDict[str, TokenBucket] = field(default_factory=OrderedDict)

    async def authenticate(self, secret: str, verifier: TokenVerifier) -> Principal:
        # Keyed by a digest: the cache never holds the secrets themselves.
        digest = hashlib.sha256(secret.encode()).hexdigest()
        now = self.clock()
        cached = self._cache.get(digest)
        if cached is not None and cached.until > now:
            self._cache.move_to_end(digest)
            principal = cached.principal
        else:
            self._cache.pop(digest, None)
            token = await self.exchange(secret)
            principal = replace(verifier.verify(token), access_token=token)
            if self.cache_seconds > 0:
                self._cache[digest] = _Cached(principal, now + self.cache_seconds)
                _bound(self._cache)
        # The deleted-accounts check of `verify` holds for cached principals too.
        verifier.check_not_deleted(principal.user_id)
        self._throttle(principal.api_key_id or digest, now)
        return principal

    def _throttle(self, key_id: str, now: float) -> None:
        bucket = self._buckets.get(key_id)
        if bucket is None:
            capacity = float(self.requests_per_minute)
            bucket = self._buckets[key_id] = TokenBucket(capacity, capacity, now)
            _bound(self._buckets)
        self._buckets.move_to_end(key_id)
        wait = bucket.take(now)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ResourceExhausted(
                f"Too many calls with this API key (at most {self.requests_per_minute} a "
                f"minute). Try again in {seconds} second{'s' if seconds != 1 else ''}.",
                reason="API_KEY_RATE_LIMITED",
                metadata={"retry_after_seconds": str(seconds)},
            )


def _bound(entries: OrderedDict[str, Any]) -> None:
    while len(entries) > MAX_CACHED_KEYS:
        entries.popitem(last=False)
