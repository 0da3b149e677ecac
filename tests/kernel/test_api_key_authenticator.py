"""How services accept `Bearer sf_…`: exchanged with auth (a fake here), cached briefly and
boundedly, rate limited per key, and refused for deleted accounts even from the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auth.keys import AccessTokenIssuer, public_pem
from services.kernel import api_keys
from services.kernel.api_keys import ApiKeyAuthenticator
from services.kernel.errors import ResourceExhausted, Unauthenticated
from services.kernel.tokens import Role, TokenVerifier

KEY = Ed25519PrivateKey.generate()
ISSUER = AccessTokenIssuer(key=KEY, issuer="auth", audience="sf", ttl=timedelta(minutes=5))


@dataclass
class FakeAuth:
    """Stands in for auth's ExchangeApiKey: knows some secrets, counts the exchanges."""

    keys: dict[str, str] = field(default_factory=dict)  # secret -> user id
    exchanges: int = 0

    async def __call__(self, secret: str) -> str:
        self.exchanges += 1
        if secret not in self.keys:
            raise Unauthenticated("The API key is not valid.", reason="API_KEY_INVALID")
        user = self.keys[secret]
        token, _ = ISSUER.issue(
            user_id=user,
            email=f"{user}@example.com",
            name=user,
            role=Role.USER,
            now=datetime.now(UTC),
            api_key_id=f"key-of-{secret}",
        )
        return token


@dataclass
class Monotonic:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(
    authenticator: ApiKeyAuthenticator, deleted: frozenset[str] = frozenset()
) -> TokenVerifier:
    return TokenVerifier(
        issuer="auth",
        audience="sf",
        public_key_pem=public_pem(KEY),
        deleted_accounts=deleted,
        api_keys=authenticator,
    )


async def test_a_key_is_exchanged_once_per_cache_period() -> None:
    auth, clock = FakeAuth({"sf_a": "ada"}), Monotonic()
    check = verifier(ApiKeyAuthenticator(auth, cache_seconds=30, clock=clock))
    first = await check.authenticate("sf_a")
    clock.now += 29
    again = await check.authenticate("sf_a")
    assert auth.exchanges == 1
    assert first.user_id == again.user_id == "ada"
    assert first.api_key_id == "key-of-sf_a"
    # Calls on the caller's behalf carry the exchanged JWT, never the secret.
    assert jwt.decode(first.access_token, options={"verify_signature": False})["sub"] == "ada"
    clock.now += 2
    await check.authenticate("sf_a")
    assert auth.exchanges == 2


async def test_a_revoked_key_is_refused_once_its_cache_entry_expires() -> None:
    auth, clock = FakeAuth({"sf_a": "ada"}), Monotonic()
    check = verifier(ApiKeyAuthenticator(auth, cache_seconds=30, clock=clock))
    await check.authenticate("sf_a")
    del auth.keys["sf_a"]
    clock.now += 31
    with pytest.raises(Unauthenticated):
        await check.authenticate("sf_a")


async def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_keys, "MAX_CACHED_KEYS", 2)
    auth = FakeAuth({"sf_a": "a", "sf_b": "b", "sf_c": "c"})
    authenticator = ApiKeyAuthenticator(auth, cache_seconds=30, clock=Monotonic())
    check = verifier(authenticator)
    for secret in ("sf_a", "sf_b", "sf_c"):
        await check.authenticate(secret)
    assert len(authenticator._cache) == 2
    await check.authenticate("sf_a")  # the oldest was dropped: exchanged again
    assert auth.exchanges == 4


async def test_a_deleted_account_is_refused_even_from_the_cache() -> None:
    auth, deleted = FakeAuth({"sf_a": "ada"}), set[str]()
    check = TokenVerifier(
        issuer="auth",
        audience="sf",
        public_key_pem=public_pem(KEY),
        deleted_accounts=deleted,
        api_keys=ApiKeyAuthenticator(auth, cache_seconds=30, clock=Monotonic()),
    )
    await check.authenticate("sf_a")
    deleted.add("ada")
    with pytest.raises(Unauthenticated):
        await check.authenticate("sf_a")


async def test_calls_beyond_the_per_minute_budget_wait_for_the_bucket_to_refill() -> None:
    clock = Monotonic()
    check = verifier(
        ApiKeyAuthenticator(FakeAuth({"sf_a": "ada"}), requests_per_minute=2, clock=clock)
    )
    await check.authenticate("sf_a")
    await check.authenticate("sf_a")
    with pytest.raises(ResourceExhausted) as refused:
        await check.authenticate("sf_a")
    assert refused.value.metadata["retry_after_seconds"] == "30"
    clock.now += 30
    await check.authenticate("sf_a")


async def test_a_service_without_an_exchange_refuses_api_keys() -> None:
    check = TokenVerifier(issuer="auth", audience="sf", public_key_pem=public_pem(KEY))
    with pytest.raises(Unauthenticated) as refused:
        await check.authenticate("sf_a")
    assert refused.value.reason == "API_KEY_NOT_ACCEPTED"
