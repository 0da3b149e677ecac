"""API keys for scripts and services: created (secret shown once), listed, revoked, and
exchanged for short-lived access tokens (services/kernel/api_keys.py is the other side).

Secrets are 256 random bits, so a fast hash is as safe as bcrypt here and costs nothing per
call: only their SHA-256 is stored, looked up by equality like refresh tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from services.auth.keys import AccessTokenIssuer
from services.auth.store import ApiKeyRow, AuthStore, UserRow
from services.auth.throttle import Quota
from services.kernel.api_keys import API_KEY_PREFIX, is_api_key
from services.kernel.db import Database
from services.kernel.errors import InvalidArgument, NotFound, ResourceExhausted, Unauthenticated
from services.kernel.newest_first import all_newest_first

MAX_NAME_LENGTH = 100
MAX_KEYS_PER_USER = 50
# `sf_` and the first 8 characters of the random part: enough to tell keys apart.
PREFIX_LENGTH = len(API_KEY_PREFIX) + 8
# last_use_time is written at most this often per key: calls are never a write each.
LAST_USE_RESOLUTION = timedelta(minutes=1)
INVALID_KEY = "The API key is not valid (it may have been revoked)."


def new_secret() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_key_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidArgument(
            "Name the API key (e.g. after the script that uses it).", reason="NAME_REQUIRED"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"Keep the key's name under {MAX_NAME_LENGTH} characters.", reason="NAME_TOO_LONG"
        )
    return name


def last_use_is_stale(last_use: datetime | None, now: datetime) -> bool:
    return last_use is None or now - last_use >= LAST_USE_RESOLUTION


@dataclass(frozen=True)
class ExchangedToken:
    access_token: str
    expire_time: datetime


class ApiKeyService:
    """The API key use cases over auth's database."""

    def __init__(
        self,
        *,
        db: Database,
        issuer: AccessTokenIssuer,
        exchanges: Quota,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        # Issues the exchanged tokens: a few minutes, much shorter than a sign-in's.
        self._issuer = issuer
        self._exchanges = exchanges
        self._clock = clock

    async def create(self, user_id: str, raw_name: str) -> tuple[str, ApiKeyRow]:
        name = clean_key_name(raw_name)
        secret = new_secret()
        now = self._clock()
        async with self._db.session() as session:
            count = await session.scalar(select(func.count()).where(ApiKeyRow.user_id == user_id))
            if int(count or 0) >= MAX_KEYS_PER_USER:
                raise ResourceExhausted(
                    f"You already have {MAX_KEYS_PER_USER} API keys; revoke one you no longer "
                    "use first.",
                    reason="API_KEY_LIMIT",
                )
            row = ApiKeyRow(
                user_id=user_id,
                name=name,
                secret_hash=hash_secret(secret),
                prefix=secret[:PREFIX_LENGTH],
                create_time=now,
            )
            session.add(row)
            await session.flush()
        return secret, row

    async def list(self, user_id: str) -> list[ApiKeyRow]:
        return await all_newest_first(self._db, ApiKeyRow, ApiKeyRow.user_id == user_id)

    async def revoke(self, user_id: str, api_key_id: str) -> None:
        if not api_key_id:
            raise InvalidArgument("Say which API key to revoke.", reason="API_KEY_ID_REQUIRED")
        async with self._db.session() as session:
            # Another user's key is answered like a missing one: its existence is not revealed.
            result = await session.execute(
                delete(ApiKeyRow).where(ApiKeyRow.id == api_key_id, ApiKeyRow.user_id == user_id)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound("No such API key.", reason="API_KEY_NOT_FOUND")

    async def exchange(self, secret: str, *, rate_limited: bool = True) -> ExchangedToken:
        """An access token for the key's user, marked with the key's id (`akid`).

        `rate_limited`: counts against the key's exchange quota; auth's own interceptor, which
        checks the key on every call anyway, passes False."""
        if not is_api_key(secret) or len(secret) > 200:
            raise Unauthenticated(INVALID_KEY, reason="API_KEY_INVALID")
        now = self._clock()
        async with self._db.session() as session:
            row = await session.scalar(
                select(ApiKeyRow).where(ApiKeyRow.secret_hash == hash_secret(secret))
            )
            if row is None:
                raise Unauthenticated(INVALID_KEY, reason="API_KEY_INVALID")
            store = AuthStore(session)
            if rate_limited:
                counter_key = f"apikey:{row.id}"
                counter = (await store.lock_counters([counter_key], now))[counter_key]
                await store.save_counter(counter_key, self._exchanges.claim(counter, now))
            user = await store.user_by_id(row.user_id)
            if user is None:  # deleted in between: the key went with it
                raise Unauthenticated(INVALID_KEY, reason="API_KEY_INVALID")
            if last_use_is_stale(row.last_use_time, now):
                await session.execute(
                    update(ApiKeyRow).where(ApiKeyRow.id == row.id).values(last_use_time=now)
                )
            return self._issue(user, row.id, now)

    def _issue(self, user: UserRow, api_key_id: str, now: datetime) -> ExchangedToken:
        token, expires = self._issuer.issue_for(user, now, api_key_id=api_key_id)
        return ExchangedToken(token, expires)
