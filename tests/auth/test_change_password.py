"""ChangePassword: the current password is checked (through the sign-in throttle), the new one
is held to the registration rules, every other sign-in ends and the caller gets fresh tokens."""

from __future__ import annotations

import grpc

from speechflow.auth.v1 import auth_pb2
from tests.auth.conftest import AuthHarness
from tests.auth.test_auth_service import PASSWORD, register
from tests.grpc_helpers import bearer, call_fails, error_info

Code = grpc.StatusCode
NEW_PASSWORD = "purple staple orbit"


def change(current: str, new: str = NEW_PASSWORD) -> auth_pb2.ChangePasswordRequest:
    return auth_pb2.ChangePasswordRequest(current_password=current, new_password=new)


async def test_a_changed_password_signs_in_and_the_old_one_no_longer_does(
    auth: AuthHarness,
) -> None:
    created = await register(auth)

    changed = await auth.stub.ChangePassword(
        change(PASSWORD), metadata=bearer(created.tokens.access_token)
    )

    assert changed.tokens.access_token
    assert changed.tokens.refresh_token
    me = await auth.stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=bearer(changed.tokens.access_token)
    )
    assert me.user.id == created.user.id
    email = created.user.email
    await auth.stub.Login(auth_pb2.LoginRequest(email=email, password=NEW_PASSWORD))
    await call_fails(
        auth.stub.Login(auth_pb2.LoginRequest(email=email, password=PASSWORD)),
        Code.UNAUTHENTICATED,
    )


async def test_changing_the_password_ends_every_other_sign_in(auth: AuthHarness) -> None:
    created = await register(auth)
    other = await auth.stub.Login(
        auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD)
    )

    changed = await auth.stub.ChangePassword(
        change(PASSWORD), metadata=bearer(created.tokens.access_token)
    )

    for ended in (created.tokens.refresh_token, other.tokens.refresh_token):
        await call_fails(
            auth.stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=ended)),
            Code.UNAUTHENTICATED,
        )
    renewed = await auth.stub.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=changed.tokens.refresh_token)
    )
    assert renewed.tokens.access_token


async def test_a_wrong_current_password_is_refused_and_throttled(auth: AuthHarness) -> None:
    created = await register(auth)
    metadata = bearer(created.tokens.access_token)

    wrong = await call_fails(
        auth.stub.ChangePassword(change("not my password"), metadata=metadata),
        Code.PERMISSION_DENIED,
    )
    assert "current password is not correct" in (wrong.details() or "")
    for _ in range(4):
        await call_fails(
            auth.stub.ChangePassword(change("not my password"), metadata=metadata),
            Code.PERMISSION_DENIED,
        )
    limited = await call_fails(
        auth.stub.ChangePassword(change(PASSWORD), metadata=metadata), Code.RESOURCE_EXHAUSTED
    )
    assert error_info(limited).reason == "LOGIN_RATE_LIMITED"
    # The refused change changed nothing: the old password still signs in once the wait ends.
    auth.clock.advance(seconds=60)
    await auth.stub.Login(auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD))


async def test_the_new_password_follows_the_registration_rules(auth: AuthHarness) -> None:
    created = await register(auth)
    metadata = bearer(created.tokens.access_token)

    short = await call_fails(
        auth.stub.ChangePassword(change(PASSWORD, "short"), metadata=metadata),
        Code.INVALID_ARGUMENT,
    )
    same = await call_fails(
        auth.stub.ChangePassword(change(PASSWORD, PASSWORD), metadata=metadata),
        Code.INVALID_ARGUMENT,
    )

    assert "at least" in (short.details() or "")
    assert "same as the current one" in (same.details() or "")
    await auth.stub.Login(auth_pb2.LoginRequest(email=created.user.email, password=PASSWORD))


async def test_changing_the_password_needs_a_sign_in(auth: AuthHarness) -> None:
    await call_fails(auth.stub.ChangePassword(change(PASSWORD)), Code.UNAUTHENTICATED)
