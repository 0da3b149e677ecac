"""AuthService over real gRPC, on SQLite and PostgreSQL, with a real NATS server."""

from __future__ import annotations

import base64
import json
import uuid

import grpc
import jwt
import nats
import pytest

from services.auth.admin import promote_admin
from services.kernel.catalogue import USER_REGISTERED
from services.mesh.nats_server import NatsServer
from speechflow.auth.v1 import auth_pb2
from speechflow.events.v1 import events_pb2
from tests.auth.conftest import AuthHarness
from tests.grpc_helpers import bearer, call_fails, error_info

PASSWORD = "correct horse battery"
Code = grpc.StatusCode


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


async def register(auth: AuthHarness, email: str | None = None) -> auth_pb2.RegisterResponse:
    return await auth.stub.Register(
        auth_pb2.RegisterRequest(email=email or unique_email(), password=PASSWORD, name="Ada")
    )


async def test_register_then_get_me_returns_the_user(auth: AuthHarness) -> None:
    created = await register(auth)
    me = await auth.stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=bearer(created.tokens.access_token)
    )
    assert me.user.id == created.user.id
    assert me.user.role == auth_pb2.ROLE_USER
    assert created.tokens.refresh_token
    assert created.tokens.access_token_expires_at.seconds > 0


async def test_email_is_normalized_and_unique_regardless_of_case(auth: AuthHarness) -> None:
    email = unique_email()
    created = await register(auth, f"  {email.upper()} ")
    assert created.user.email == email
    error = await call_fails(
        auth.stub.Register(auth_pb2.RegisterRequest(email=email, password=PASSWORD)),
        Code.ALREADY_EXISTS,
    )
    assert "already exists" in (error.details() or "")
    login = await auth.stub.Login(auth_pb2.LoginRequest(email=email.title(), password=PASSWORD))
    assert login.user.id == created.user.id


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("", PASSWORD, "EMAIL_REQUIRED"),
        ("not-an-email", PASSWORD, "EMAIL_INVALID"),
        ("a@b", PASSWORD, "EMAIL_INVALID"),
        ("ok@example.com", "short", "PASSWORD_TOO_SHORT"),
        ("ok@example.com", "password", "PASSWORD_TOO_WEAK"),
        ("ok@example.com", "x" * 80, "PASSWORD_TOO_LONG"),
    ],
)
async def test_bad_registration_input_is_invalid_argument(
    auth: AuthHarness, email: str, password: str, reason: str
) -> None:
    error = await call_fails(
        auth.stub.Register(auth_pb2.RegisterRequest(email=email, password=password)),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == reason
    assert error.details()


async def test_short_password_message_says_the_minimum(auth: AuthHarness) -> None:
    error = await call_fails(
        auth.stub.Register(auth_pb2.RegisterRequest(email=unique_email(), password="abc")),
        Code.INVALID_ARGUMENT,
    )
    assert "at least 8 characters" in (error.details() or "")


async def test_wrong_password_and_unknown_email_look_the_same(auth: AuthHarness) -> None:
    created = await register(auth)
    wrong = await call_fails(
        auth.stub.Login(auth_pb2.LoginRequest(email=created.user.email, password="nope-nope-1")),
        Code.UNAUTHENTICATED,
    )
    unknown = await call_fails(
        auth.stub.Login(auth_pb2.LoginRequest(email=unique_email(), password="nope-nope-1")),
        Code.UNAUTHENTICATED,
    )
    assert wrong.details() == unknown.details() == "Email or password is incorrect."


async def test_brute_force_on_one_email_backs_off_but_the_right_password_works_after_it(
    auth: AuthHarness,
) -> None:
    created = await register(auth)
    attempt = auth_pb2.LoginRequest(email=created.user.email, password="wrong-password-1")
    for _ in range(5):
        await call_fails(auth.stub.Login(attempt), Code.UNAUTHENTICATED)
    limited = await call_fails(auth.stub.Login(attempt), Code.RESOURCE_EXHAUSTED)
    info = error_info(limited)
    assert info.reason == "LOGIN_RATE_LIMITED"
    assert int(info.metadata["retry_after_seconds"]) == 5
    assert "Try again in 5 seconds" in (limited.details() or "")
    right = auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    await call_fails(auth.stub.Login(right), Code.RESOURCE_EXHAUSTED)
    auth.clock.advance(seconds=6)
    await call_fails(auth.stub.Login(attempt), Code.UNAUTHENTICATED)
    # Each further failure doubles the wait.
    doubled = await call_fails(auth.stub.Login(right), Code.RESOURCE_EXHAUSTED)
    assert int(error_info(doubled).metadata["retry_after_seconds"]) == 10
    auth.clock.advance(seconds=11)
    assert (await auth.stub.Login(right)).user.id == created.user.id
    # The success forgot the failures.
    await call_fails(auth.stub.Login(attempt), Code.UNAUTHENTICATED)


async def test_the_wait_is_capped_so_the_owner_is_never_locked_out_for_long(
    auth: AuthHarness,
) -> None:
    created = await register(auth)
    attempt = auth_pb2.LoginRequest(email=created.user.email, password="wrong-password-1")
    for _ in range(12):
        await call_fails(auth.stub.Login(attempt), Code.UNAUTHENTICATED)
        auth.clock.advance(seconds=301)
    await call_fails(auth.stub.Login(attempt), Code.UNAUTHENTICATED)
    waiting = await call_fails(auth.stub.Login(attempt), Code.RESOURCE_EXHAUSTED)
    assert int(error_info(waiting).metadata["retry_after_seconds"]) == 300
    auth.clock.advance(seconds=301)
    right = auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    assert (await auth.stub.Login(right)).user.id == created.user.id


async def test_an_overlong_email_is_just_wrong_credentials(auth: AuthHarness) -> None:
    error = await call_fails(
        auth.stub.Login(auth_pb2.LoginRequest(email="a" * 10_000 + "@example.com", password="x")),
        Code.UNAUTHENTICATED,
    )
    assert error.details() == "Email or password is incorrect."


async def test_rate_limit_does_not_reveal_whether_the_email_exists(auth: AuthHarness) -> None:
    attempt = auth_pb2.LoginRequest(email=unique_email(), password="wrong-password-1")
    for _ in range(5):
        await call_fails(auth.stub.Login(attempt), Code.UNAUTHENTICATED)
    await call_fails(auth.stub.Login(attempt), Code.RESOURCE_EXHAUSTED)


async def test_failures_on_unknown_emails_do_not_block_another_account(
    auth: AuthHarness,
) -> None:
    created = await register(auth)
    for _ in range(10):
        await call_fails(
            auth.stub.Login(
                auth_pb2.LoginRequest(email=unique_email(), password="wrong-password-1")
            ),
            Code.UNAUTHENTICATED,
        )
    login = await auth.stub.Login(
        auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    )
    assert login.user.id == created.user.id


async def test_an_address_spraying_many_emails_is_slowed_down(auth: AuthHarness) -> None:
    for _ in range(auth.settings.login_client_max_failures):
        await call_fails(
            auth.stub.Login(
                auth_pb2.LoginRequest(email=unique_email(), password="wrong-password-1")
            ),
            Code.UNAUTHENTICATED,
        )
    limited = await call_fails(
        auth.stub.Login(auth_pb2.LoginRequest(email=unique_email(), password="wrong-password-1")),
        Code.RESOURCE_EXHAUSTED,
    )
    assert error_info(limited).reason == "LOGIN_RATE_LIMITED"


async def test_registrations_per_address_are_limited(auth: AuthHarness) -> None:
    for _ in range(auth.settings.register_max_per_client):
        await register(auth)
    limited = await call_fails(
        auth.stub.Register(auth_pb2.RegisterRequest(email=unique_email(), password=PASSWORD)),
        Code.RESOURCE_EXHAUSTED,
    )
    info = error_info(limited)
    assert info.reason == "REGISTRATION_RATE_LIMITED"
    assert "Try again in 60 minutes" in (limited.details() or "")
    auth.clock.advance(hours=1)
    await register(auth)


async def test_refresh_rotates_and_the_old_token_stops_working(auth: AuthHarness) -> None:
    created = await register(auth)
    old = created.tokens.refresh_token
    renewed = await auth.stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=old))
    assert renewed.tokens.refresh_token != old
    me = await auth.stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=bearer(renewed.tokens.access_token)
    )
    assert me.user.id == created.user.id
    reuse = await call_fails(
        auth.stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=old)),
        Code.UNAUTHENTICATED,
    )
    assert error_info(reuse).reason == "REFRESH_TOKEN_REUSED"
    # Reuse ends the whole family: the token rotated from it is dead too.
    await call_fails(
        auth.stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=renewed.tokens.refresh_token)
        ),
        Code.UNAUTHENTICATED,
    )


async def test_reuse_does_not_end_other_sign_ins(auth: AuthHarness) -> None:
    created = await register(auth)
    other = await auth.stub.Login(
        auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    )
    old = created.tokens.refresh_token
    await auth.stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=old))
    await call_fails(
        auth.stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=old)),
        Code.UNAUTHENTICATED,
    )
    await auth.stub.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=other.tokens.refresh_token)
    )


async def test_expired_refresh_token_is_rejected(auth: AuthHarness) -> None:
    created = await register(auth)
    auth.clock.advance(days=8)
    await call_fails(
        auth.stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=created.tokens.refresh_token)
        ),
        Code.UNAUTHENTICATED,
    )


async def test_logout_revokes_the_sign_in(auth: AuthHarness) -> None:
    created = await register(auth)
    await auth.stub.Logout(auth_pb2.LogoutRequest(refresh_token=created.tokens.refresh_token))
    await call_fails(
        auth.stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=created.tokens.refresh_token)
        ),
        Code.UNAUTHENTICATED,
    )
    await call_fails(
        auth.stub.Logout(auth_pb2.LogoutRequest(refresh_token="made-up")), Code.UNAUTHENTICATED
    )
    await call_fails(auth.stub.Logout(auth_pb2.LogoutRequest()), Code.INVALID_ARGUMENT)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_forged_and_expired_access_tokens_are_unauthenticated(auth: AuthHarness) -> None:
    created = await register(auth)
    token = created.tokens.access_token
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forgeries = {
        "missing": None,
        "garbage": "not-a-jwt",
        "tampered": f"{header}.{_b64({**claims, 'role': 2})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS256 header": f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{payload}.{signature}",
    }
    for name, forged in forgeries.items():
        metadata = () if forged is None else bearer(forged)
        error = await call_fails(
            auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=metadata), Code.UNAUTHENTICATED
        )
        assert error.details(), name
    auth.clock.advance(minutes=-30)  # tokens issued "30 minutes ago" expired 15 minutes ago
    stale = await auth.stub.Login(
        auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    )
    error = await call_fails(
        auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(stale.tokens.access_token)),
        Code.UNAUTHENTICATED,
    )
    assert error_info(error).reason == "TOKEN_EXPIRED"


async def test_registration_publishes_user_registered(
    auth: AuthHarness, nats_server: NatsServer
) -> None:
    client = await nats.connect(nats_server.url)
    try:
        js = client.jetstream()
        created = await register(auth)
        subscription = await js.subscribe(USER_REGISTERED, ordered_consumer=True)
        seen: list[events_pb2.UserRegistered] = []
        while True:
            message = await subscription.next_msg(timeout=10)
            event = events_pb2.UserRegistered.FromString(message.data)
            seen.append(event)
            if event.user_id == created.user.id:
                break
        assert seen[-1].email == created.user.email
        assert message.headers
        assert message.headers["Nats-Msg-Id"]
    finally:
        await client.close()


async def test_promoted_admin_gets_admin_role_in_new_tokens(auth: AuthHarness) -> None:
    created = await register(auth)
    message = await promote_admin(auth.settings, created.user.email)
    assert "administrator" in message
    login = await auth.stub.Login(
        auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    )
    assert login.user.role == auth_pb2.ROLE_ADMIN
    assert jwt.decode(login.tokens.access_token, options={"verify_signature": False})["role"] == 2
    with pytest.raises(LookupError):
        await promote_admin(auth.settings, unique_email())
