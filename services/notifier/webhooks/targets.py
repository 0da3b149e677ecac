"""Which webhook URLs the notifier may call.

A webhook makes the server send requests wherever its user says, so a target on loopback, a
private network or a link-local range (cloud metadata at 169.254.169.254) would let a user
probe or reach services that are not theirs (SSRF). The host is resolved when the webhook is
saved and again before every attempt, since a name can resolve elsewhere later (DNS
rebinding)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from services.kernel.errors import InvalidArgument

MAX_URL_LENGTH = 2048


class TargetRefused(Exception):
    """The URL may not be called; the message says why in plain words."""


def check_url_shape(url: str) -> str:
    """The URL without surrounding space, or InvalidArgument if it is not an http(s) URL
    with a host."""
    url = url.strip()
    if not url:
        raise InvalidArgument("Give the webhook's URL.", reason="WEBHOOK_URL_MISSING")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidArgument(
            f"The webhook URL is longer than {MAX_URL_LENGTH} characters.",
            reason="WEBHOOK_URL_INVALID",
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(
            "The webhook URL must start with http:// or https:// and name a host.",
            reason="WEBHOOK_URL_INVALID",
        )
    if parts.username or parts.password:
        raise InvalidArgument(
            "The webhook URL must not carry a user name or password.",
            reason="WEBHOOK_URL_INVALID",
        )
    try:
        _ = parts.port
    except ValueError as exc:
        raise InvalidArgument(
            "The webhook URL's port is not a number from 1 to 65535.",
            reason="WEBHOOK_URL_INVALID",
        ) from exc
    return url


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable: not loopback, private, link-local, multicast, reserved or
    unspecified (an IPv4-mapped IPv6 address is judged as the IPv4 one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetRefused(f"the host {host} cannot be resolved ({exc.strerror})") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raises TargetRefused when `url`'s host resolves to any address that is not public
    (every address counts: a client may connect to any of them)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in await resolve(host, port):
        if not is_public(address):
            raise TargetRefused(
                f"{host} resolves to {address}, a loopback, private or link-local address"
            )
