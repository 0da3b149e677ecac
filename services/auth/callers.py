"""Who is calling auth, from where, and through which client: the real client address the edge
derived, the browser's refresh-token cookie and its CSRF checks.

The browser keeps its refresh token in an HttpOnly cookie that scripts cannot read (so an XSS
cannot steal a 7-day sign-in), sent only to AuthService's own routes. Scripts and the CLI send
the token in the request body, as before, and never get a cookie.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import grpc.aio

from services.kernel.edge_peers import CLIENT_ADDRESS_HEADER, is_edge_peer, parse_ip, peer_host
from services.kernel.errors import PermissionDenied

Context = grpc.aio.ServicerContext[Any, Any]

# Set by Envoy on every request, overwriting whatever the client sent (envoy/envoy.yaml.tmpl),
# beside CLIENT_ADDRESS_HEADER: the Host the browser addressed, which Origin is compared with.
EDGE_HOST_HEADER = "x-speechflow-host"
# What a differently configured Envoy in front of auth sets for external clients.
ENVOY_EXTERNAL_ADDRESS_HEADER = "x-envoy-external-address"
# The web app marks its calls so auth answers with a cookie instead of a readable token.
CLIENT_KIND_HEADER = "x-speechflow-client"
WEB_CLIENT = "web"
# A header a cross-site form or link cannot send (and a cross-origin script cannot without a
# CORS preflight Envoy refuses), required whenever the cookie stands in for the token.
CSRF_HEADER = "x-speechflow-csrf"
REFRESH_COOKIE = "speechflow_refresh"
# RefreshToken and Logout live under this prefix; no other service ever sees the cookie.
REFRESH_COOKIE_PATH = "/speechflow.auth.v1.AuthService/"


def metadata_values(context: Context, key: str) -> list[str]:
    return [
        value if isinstance(value, str) else value.decode()
        for name, value in (context.invocation_metadata() or ())
        if name == key
    ]


def metadata_value(context: Context, key: str) -> str:
    values = metadata_values(context, key)
    return values[0].strip() if values else ""


def _peer_host(context: Context) -> str:
    return peer_host(context.peer() or "")


def client_address(context: Context) -> str:
    """The address throttles are keyed by: what Envoy derived (it overwrites the header, so a
    client cannot choose it), else the TCP peer. `X-Forwarded-For` is never read here: every
    hop of it but the ones Envoy trusts is whatever the client wrote."""
    peer = _peer_host(context)
    if is_edge_peer(peer):
        for header in (CLIENT_ADDRESS_HEADER, ENVOY_EXTERNAL_ADDRESS_HEADER):
            address = parse_ip(metadata_value(context, header))
            if address is not None:
                return str(address)
    return peer


def is_web_client(context: Context) -> bool:
    return metadata_value(context, CLIENT_KIND_HEADER).lower() == WEB_CLIENT


def refresh_cookie(token: str, max_age_seconds: int) -> str:
    """The `set-cookie` value carrying a refresh token (an empty token clears it). Browsers
    accept Secure cookies from http://localhost too, so this works for `make up`."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[REFRESH_COOKIE] = token
    morsel = cookie[REFRESH_COOKIE]
    morsel["path"] = REFRESH_COOKIE_PATH
    morsel["max-age"] = str(max(0, max_age_seconds))
    morsel["httponly"] = True
    morsel["secure"] = True
    morsel["samesite"] = "Strict"
    return morsel.OutputString()


def cookie_refresh_token(context: Context) -> str:
    """The refresh token from the request's cookies ("" when there is none). HTTP/2 may
    split cookies over several `cookie` entries."""
    for header in metadata_values(context, "cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        if REFRESH_COOKIE in jar and jar[REFRESH_COOKIE].value:
            return jar[REFRESH_COOKIE].value
    return ""


def check_cookie_request(context: Context) -> None:
    """A cookie is sent by the browser whoever made the page, so a call that relies on it
    must prove it comes from our app: the custom header, and a matching Origin if any."""
    if metadata_value(context, CSRF_HEADER) != "1":
        raise PermissionDenied(
            f"Send the `{CSRF_HEADER}: 1` header when the refresh token comes from the cookie.",
            reason="CSRF_HEADER_MISSING",
        )
    origin = metadata_value(context, "origin")
    if not origin:
        return
    edge_host = (
        metadata_value(context, EDGE_HOST_HEADER) if is_edge_peer(_peer_host(context)) else ""
    )
    if not edge_host or urlsplit(origin).netloc.lower() != edge_host.lower():
        raise PermissionDenied(
            "This request comes from another site and cannot use the sign-in cookie.",
            reason="CSRF_ORIGIN_MISMATCH",
        )
