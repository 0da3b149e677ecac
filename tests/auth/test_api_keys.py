"""API keys over real gRPC (SQLite and PostgreSQL, a real NATS server): created once, stored
hashed, listed, revoked, exchanged, rate limited, and gone with their account."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import grpc.aio
import jwt
import pytest

from services.mesh.nats_server import NatsServer
from speechflow.auth.v1 import auth_pb2
from tests.auth.conftest import AuthHarness, Clock, auth_settings, running_auth
from tests.grpc_helpers import bearer, call_fails, error_info

PASSWORD = "correct horse battery"
Code = grpc.StatusCode
CALLS_PER_MINUTE = 5
EXCHANGES_PER_MINUTE = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def auth(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServer
) -> AsyncIterator[AuthHarness]:
    """Auth with small per-key limits, its clock half an hour back: the test moves it forward
    (last-use times, quota periods) while the tokens it issues stay valid in real time."""
    database_url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    settings = auth_settings(tmp_path, nats_server.url, database_url).model_copy(
        update={
            "api_key_requests_per_minute": CALLS_PER_MINUTE,
            "api_key_exchanges_per_minute": EXCHANGES_PER_MINUTE,
            "api_key_token_ttl_seconds": 3600,
            "access_token_ttl_seconds": 3600,
        }
    )
    async with running_auth(settings, Clock(datetime.now(UTC) - timedelta(minutes=30))) as harness:
        yield harness


async def sign_up(auth: AuthHarness) -> str:
    email = f"k-{uuid.uuid4().hex[:8]}@example.com"
    created = await auth.stub.Register(
        auth_pb2.RegisterRequest(email=email, password=PASSWORD, name="Kay")
    )
    return str(created.tokens.access_token)


async def create_key(
    auth: AuthHarness, token: str, name: str = "backup script"
) -> auth_pb2.CreateApiKeyResponse:
    return await auth.stub.CreateApiKey(
        auth_pb2.CreateApiKeyRequest(name=name), metadata=bearer(token)
    )


async def list_keys(auth: AuthHarness, token: str) -> list[auth_pb2.ApiKey]:
    response = await auth.stub.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=bearer(token))
    return list(response.api_keys)


async def test_a_created_key_is_shown_once_and_then_listed_without_its_secret(
    auth: AuthHarness,
) -> None:
    token = await sign_up(auth)
    created = await create_key(auth, token, "  nightly   export ")
    assert created.secret.startswith("sf_")
    assert len(created.secret) > 40
    assert created.api_key.name == "nightly export"
    assert created.secret.startswith(created.api_key.prefix)
    assert not created.api_key.HasField("last_use_time")
    auth.clock.advance(seconds=1)
    second = await create_key(auth, token, "ci")
    listed = await list_keys(auth, token)
    assert [k.id for k in listed] == [second.api_key.id, created.api_key.id]  # newest first
    assert all(created.secret not in str(k) for k in listed)


async def test_the_key_authenticates_calls_as_its_user(auth: AuthHarness) -> None:
    token = await sign_up(auth)
    me = await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token))
    secret = (await create_key(auth, token)).secret
    with_key = await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(secret))
    assert with_key.user.id == me.user.id


async def test_secrets_are_stored_hashed(auth: AuthHarness) -> None:
    if auth.settings.database_url:
        pytest.skip("reads the SQLite file directly")
    token = await sign_up(auth)
    secret = (await create_key(auth, token)).secret
    with sqlite3.connect(auth.settings.data_dir / "auth.db") as db:
        rows = db.execute("SELECT * FROM api_keys").fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    assert secret not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored


@pytest.mark.parametrize("bad", ["sf_not-a-key-at-all", "sf_", "sf_" + "x" * 300])
async def test_a_wrong_key_is_unauthenticated(auth: AuthHarness, bad: str) -> None:
    error = await call_fails(
        auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(bad)), Code.UNAUTHENTICATED
    )
    assert error_info(error).reason == "API_KEY_INVALID"
    await call_fails(
        auth.stub.ExchangeApiKey(auth_pb2.ExchangeApiKeyRequest(secret=bad)), Code.UNAUTHENTICATED
    )


async def test_a_revoked_key_stops_working_at_once(auth: AuthHarness) -> None:
    token = await sign_up(auth)
    created = await create_key(auth, token)
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(created.secret))
    await auth.stub.RevokeApiKey(
        auth_pb2.RevokeApiKeyRequest(api_key_id=created.api_key.id), metadata=bearer(token)
    )
    await call_fails(
        auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(created.secret)),
        Code.UNAUTHENTICATED,
    )
    await call_fails(
        auth.stub.ExchangeApiKey(auth_pb2.ExchangeApiKeyRequest(secret=created.secret)),
        Code.UNAUTHENTICATED,
    )
    assert await list_keys(auth, token) == []


async def test_another_users_key_is_not_found_and_stays_valid(auth: AuthHarness) -> None:
    owner = await sign_up(auth)
    created = await create_key(auth, owner)
    stranger = await sign_up(auth)
    await call_fails(
        auth.stub.RevokeApiKey(
            auth_pb2.RevokeApiKeyRequest(api_key_id=created.api_key.id), metadata=bearer(stranger)
        ),
        Code.NOT_FOUND,
    )
    await call_fails(
        auth.stub.RevokeApiKey(
            auth_pb2.RevokeApiKeyRequest(api_key_id=str(uuid.uuid4())), metadata=bearer(owner)
        ),
        Code.NOT_FOUND,
    )
    assert await list_keys(auth, stranger) == []
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(created.secret))


@pytest.mark.parametrize(
    ("name", "reason"), [("   ", "NAME_REQUIRED"), ("n" * 101, "NAME_TOO_LONG")]
)
async def test_a_key_needs_a_sensible_name(auth: AuthHarness, name: str, reason: str) -> None:
    token = await sign_up(auth)
    error = await call_fails(create_key(auth, token, name), Code.INVALID_ARGUMENT)
    assert error_info(error).reason == reason


async def test_last_use_is_recorded_at_most_once_a_minute(auth: AuthHarness) -> None:
    token = await sign_up(auth)
    secret = (await create_key(auth, token)).secret
    used_at = auth.clock.now
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(secret))
    [key] = await list_keys(auth, token)
    assert abs(key.last_use_time.ToDatetime(UTC) - used_at) < timedelta(seconds=1)
    auth.clock.advance(seconds=30)
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(secret))
    [key] = await list_keys(auth, token)
    assert abs(key.last_use_time.ToDatetime(UTC) - used_at) < timedelta(seconds=1)
    auth.clock.advance(seconds=31)
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(secret))
    [key] = await list_keys(auth, token)
    assert abs(key.last_use_time.ToDatetime(UTC) - auth.clock.now) < timedelta(seconds=1)


async def test_calls_with_one_key_are_rate_limited(auth: AuthHarness) -> None:
    token = await sign_up(auth)
    secret = (await create_key(auth, token)).secret
    other = (await create_key(auth, token, "other")).secret
    for _ in range(CALLS_PER_MINUTE):
        await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(secret))
    error = await call_fails(
        auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(secret)),
        Code.RESOURCE_EXHAUSTED,
    )
    assert error_info(error).reason == "API_KEY_RATE_LIMITED"
    assert int(error_info(error).metadata["retry_after_seconds"]) >= 1
    # Per key: the user's other key and their access token are not held back.
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(other))
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token))


async def test_exchanges_give_a_short_lived_token_marked_with_the_key_and_are_limited(
    auth: AuthHarness,
) -> None:
    token = await sign_up(auth)
    created = await create_key(auth, token)
    request = auth_pb2.ExchangeApiKeyRequest(secret=created.secret)
    exchanged = await auth.stub.ExchangeApiKey(request)
    claims = jwt.decode(exchanged.access_token, options={"verify_signature": False})
    assert claims["akid"] == created.api_key.id
    assert claims["exp"] - claims["iat"] == 3600
    me = await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(exchanged.access_token))
    assert me.user.email == claims["email"]
    for _ in range(EXCHANGES_PER_MINUTE - 1):
        await auth.stub.ExchangeApiKey(request)
    error = await call_fails(auth.stub.ExchangeApiKey(request), Code.RESOURCE_EXHAUSTED)
    assert error_info(error).reason == "API_KEY_RATE_LIMITED"
    auth.clock.advance(minutes=1)
    await auth.stub.ExchangeApiKey(request)


async def test_a_deleted_accounts_keys_are_gone(auth: AuthHarness) -> None:
    token = await sign_up(auth)
    secret = (await create_key(auth, token)).secret
    await auth.stub.DeleteAccount(
        auth_pb2.DeleteAccountRequest(password=PASSWORD), metadata=bearer(token)
    )
    await call_fails(
        auth.stub.ExchangeApiKey(auth_pb2.ExchangeApiKeyRequest(secret=secret)),
        Code.UNAUTHENTICATED,
    )
    if not auth.settings.database_url:
        with sqlite3.connect(auth.settings.data_dir / "auth.db") as db:
            assert db.execute("SELECT count(*) FROM api_keys").fetchone() == (0,)
