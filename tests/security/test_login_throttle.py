"""Sign-in and sign-up throttling through the real edge: atomic, per account with a capped
backoff, per client keyed by the address Envoy derived, never by what the client wrote."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import grpc
import pytest

from speechflow.auth.v1 import auth_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.security.conftest import PASSWORD, StartEdge, outcome

Code = grpc.StatusCode
WRONG = "wrong-password-1"


def unique_email() -> str:
    return f"sec-{uuid.uuid4().hex[:10]}@example.com"


def wrong_login(email: str) -> auth_pb2.LoginRequest:
    return auth_pb2.LoginRequest(email=email, password=WRONG)


async def test_parallel_wrong_passwords_through_envoy_check_at_most_the_limit(
    start_edge: StartEdge,
) -> None:
    edge = await start_edge()
    email = unique_email()
    await edge.register(email)
    codes = Counter(
        await asyncio.gather(*(outcome(edge.stub.Login(wrong_login(email))) for _ in range(20)))
    )
    # Only the checked attempts can answer "wrong password"; the rest were refused first.
    assert codes[Code.UNAUTHENTICATED] == edge.settings.login_max_failures
    assert codes[Code.RESOURCE_EXHAUSTED] == 20 - edge.settings.login_max_failures


async def test_the_right_password_works_once_the_backoff_has_passed(
    start_edge: StartEdge,
) -> None:
    edge = await start_edge()
    email = unique_email()
    created = await edge.register(email)
    for _ in range(edge.settings.login_max_failures):
        await call_fails(edge.stub.Login(wrong_login(email)), Code.UNAUTHENTICATED)
    right = auth_pb2.LoginRequest(email=email, password=PASSWORD)
    waiting = await call_fails(edge.stub.Login(right), Code.RESOURCE_EXHAUSTED)
    retry_after = int(error_info(waiting).metadata["retry_after_seconds"])
    assert retry_after <= edge.settings.login_backoff_max_seconds
    assert f"Try again in {retry_after} seconds" in (waiting.details() or "")
    edge.clock.advance(seconds=retry_after + 1)
    assert (await edge.stub.Login(right)).user.id == created.user.id


async def test_failures_on_unknown_emails_from_one_address_do_not_block_another_account(
    start_edge: StartEdge,
) -> None:
    edge = await start_edge()
    email = unique_email()
    created = await edge.register(email)
    # Well past the per-account allowance, all from this one address.
    for _ in range(2 * edge.settings.login_max_failures):
        await call_fails(edge.stub.Login(wrong_login(unique_email())), Code.UNAUTHENTICATED)
    login = await edge.stub.Login(auth_pb2.LoginRequest(email=email, password=PASSWORD))
    assert login.user.id == created.user.id


# Through Envoy the client may also try the headers Envoy itself sets for auth; Envoy
# overwrites them. On auth's own port (reachable from the edge's network only) the edge's
# headers are trusted, but X-Forwarded-For never is.
FORGED_THROUGH_ENVOY = (
    "x-forwarded-for",
    "x-speechflow-client-address",
    "x-envoy-external-address",
)


@pytest.mark.parametrize("through_envoy", [True, False], ids=["edge", "direct"])
async def test_a_forged_forwarded_for_does_not_change_the_throttle_key(
    start_edge: StartEdge, through_envoy: bool
) -> None:
    edge = await start_edge(login_client_max_failures=3)
    stub = edge.stub if through_envoy else edge.direct
    headers = FORGED_THROUGH_ENVOY if through_envoy else ("x-forwarded-for",)

    def forged(n: int) -> tuple[tuple[str, str], ...]:
        return tuple((key, f"203.0.113.{n}") for key in headers)

    for n in range(3):
        await call_fails(
            stub.Login(wrong_login(unique_email()), metadata=forged(n)), Code.UNAUTHENTICATED
        )
    limited = await call_fails(
        stub.Login(wrong_login(unique_email()), metadata=forged(99)), Code.RESOURCE_EXHAUSTED
    )
    assert error_info(limited).reason == "LOGIN_RATE_LIMITED"


async def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(
    start_edge: StartEdge,
) -> None:
    edge = await start_edge(xff_hops=1, login_client_max_failures=3)

    def via_proxy(client: str) -> tuple[tuple[str, str], ...]:
        # What the client wrote, then what the proxy in front of Envoy appended.
        return (("x-forwarded-for", f"192.0.2.66, {client}"),)

    for _ in range(3):
        await call_fails(
            edge.stub.Login(wrong_login(unique_email()), metadata=via_proxy("198.51.100.7")),
            Code.UNAUTHENTICATED,
        )
    await call_fails(
        edge.stub.Login(wrong_login(unique_email()), metadata=via_proxy("198.51.100.7")),
        Code.RESOURCE_EXHAUSTED,
    )
    await call_fails(
        edge.stub.Login(wrong_login(unique_email()), metadata=via_proxy("198.51.100.8")),
        Code.UNAUTHENTICATED,
    )


async def test_registrations_per_client_address_are_limited(start_edge: StartEdge) -> None:
    edge = await start_edge()
    for _ in range(edge.settings.register_max_per_client):
        await edge.register(unique_email())
    limited = await call_fails(
        edge.stub.Register(
            auth_pb2.RegisterRequest(email=unique_email(), password=PASSWORD, name="Sam")
        ),
        Code.RESOURCE_EXHAUSTED,
    )
    info = error_info(limited)
    assert info.reason == "REGISTRATION_RATE_LIMITED"
    assert "Try again in" in (limited.details() or "")
    edge.clock.advance(seconds=edge.settings.register_period_seconds)
    await edge.register(unique_email())
