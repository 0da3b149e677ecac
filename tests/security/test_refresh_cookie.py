"""The browser's refresh token lives in an HttpOnly, Secure, SameSite=Strict cookie scoped to
AuthService, and only our own app can use it (CSRF header and Origin checked)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import grpc
import grpc.aio
import pytest
from playwright.async_api import Page, expect

from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from tests.grpc_helpers import call_fails, error_info
from tests.security.conftest import PASSWORD, register_through_edge
from tests.web.conftest import new_email, register

Code = grpc.StatusCode
WEB = (("x-speechflow-client", "web"),)
COOKIE = "speechflow_refresh"


async def web_login(channel: grpc.aio.Channel) -> tuple[auth_pb2.LoginResponse, str]:
    """Signs in as the web app does; returns the reply and its Set-Cookie header."""
    user = await register_through_edge(channel)
    call = auth_pb2_grpc.AuthServiceStub(channel).Login(
        auth_pb2.LoginRequest(email=user.email, password=PASSWORD), metadata=WEB
    )
    reply = await call
    headers = dict(await call.initial_metadata())
    return reply, str(headers.get("set-cookie", ""))


def cookie_value(set_cookie: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar.load(set_cookie)
    return jar[COOKIE].value


async def test_web_sign_in_sets_a_locked_down_cookie_and_no_readable_token(
    edge_channel: grpc.aio.Channel,
) -> None:
    reply, set_cookie = await web_login(edge_channel)
    assert reply.tokens.access_token
    assert reply.tokens.refresh_token == ""
    attributes = {part.strip().lower() for part in set_cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict"} <= attributes
    assert "path=/speechflow.auth.v1.authservice/" in attributes
    assert cookie_value(set_cookie)


async def test_scripts_still_get_the_refresh_token_in_the_body(
    edge_channel: grpc.aio.Channel,
) -> None:
    user = await register_through_edge(edge_channel)
    assert user.tokens.refresh_token
    renewed = await auth_pb2_grpc.AuthServiceStub(edge_channel).RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=user.tokens.refresh_token)
    )
    assert renewed.tokens.refresh_token


async def test_refresh_with_the_cookie_but_without_the_csrf_header_is_refused(
    edge_channel: grpc.aio.Channel,
) -> None:
    _, set_cookie = await web_login(edge_channel)
    stub = auth_pb2_grpc.AuthServiceStub(edge_channel)
    cookie = (("cookie", f"{COOKIE}={cookie_value(set_cookie)}"),)
    refused = await call_fails(
        stub.RefreshToken(auth_pb2.RefreshTokenRequest(), metadata=WEB + cookie),
        Code.PERMISSION_DENIED,
    )
    assert error_info(refused).reason == "CSRF_HEADER_MISSING"
    csrf = (("x-speechflow-csrf", "1"),)
    other_site = (("origin", "https://attacker.example"),)
    refused = await call_fails(
        stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(), metadata=WEB + cookie + csrf + other_site
        ),
        Code.PERMISSION_DENIED,
    )
    assert error_info(refused).reason == "CSRF_ORIGIN_MISMATCH"
    # The refusals did not use the token up: our own app still renews with it.
    call = stub.RefreshToken(auth_pb2.RefreshTokenRequest(), metadata=WEB + cookie + csrf)
    renewed = await call
    assert renewed.tokens.access_token
    assert COOKIE in str(dict(await call.initial_metadata()).get("set-cookie", ""))


async def test_logout_with_the_cookie_ends_the_sign_in_and_clears_the_cookie(
    edge_channel: grpc.aio.Channel,
) -> None:
    _, set_cookie = await web_login(edge_channel)
    stub = auth_pb2_grpc.AuthServiceStub(edge_channel)
    cookie_and_csrf = (
        ("cookie", f"{COOKIE}={cookie_value(set_cookie)}"),
        ("x-speechflow-csrf", "1"),
    )
    call = stub.Logout(auth_pb2.LogoutRequest(), metadata=WEB + cookie_and_csrf)
    await call
    assert "max-age=0" in str(dict(await call.initial_metadata())["set-cookie"]).lower()
    await call_fails(
        stub.RefreshToken(auth_pb2.RefreshTokenRequest(), metadata=WEB + cookie_and_csrf),
        Code.UNAUTHENTICATED,
    )


async def storage_holds(page: Page, secret: str) -> bool:
    return bool(
        await page.evaluate(
            """secret => [localStorage, sessionStorage].some(store =>
                Object.keys(store).some(key => (store.getItem(key) || '').includes(secret)))""",
            secret,
        )
    )


@pytest.mark.slow
async def test_after_a_web_sign_in_no_refresh_token_is_stored_and_a_reload_stays_signed_in(
    page: Page,
) -> None:
    await register(page, new_email())
    cookies = {c["name"]: c for c in await page.context.cookies()}
    refresh = cookies[COOKIE]
    assert refresh["httpOnly"]
    assert refresh["secure"]
    assert refresh["sameSite"] == "Strict"
    assert refresh["path"] == "/speechflow.auth.v1.AuthService/"
    assert await page.evaluate("localStorage.length") == 0
    assert not await storage_holds(page, refresh["value"])
    assert COOKIE not in await page.evaluate("document.cookie")

    await page.reload()
    await expect(page.get_by_role("heading", name="All documents")).to_be_visible()
    # A new tab has no access token of its own: the cookie signs it in.
    second = await page.context.new_page()
    await second.goto("/")
    await expect(second.get_by_role("heading", name="All documents")).to_be_visible()

    await second.get_by_role("button", name="Log out").click()
    await expect(second).to_have_url(re.compile(r"/login$"))
    await page.reload()
    await expect(page).to_have_url(re.compile(r"/login$"))
