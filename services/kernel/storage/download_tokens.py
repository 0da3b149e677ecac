"""Signed download links for the local adapter, which has no S3 server to presign for it.

A token is `base64url(payload).base64url(HMAC-SHA256(payload))`; the payload holds the key,
the expiry (Unix seconds), the download name and whether to show the file inline (`i`,
absent = save it as an attachment). The service that serves local files verifies it with the
same secret and needs no database lookup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kernel.storage.model import UrlSigner

# Domain separation: a MAC made with the same secret for another purpose never verifies here.
_CONTEXT = b"speechflow.download-link.v1\x00"
_MIN_SECRET_BYTES = 16


class InvalidDownloadToken(ValueError):
    """A download token that is malformed, tampered with or expired."""


@dataclass(frozen=True, slots=True)
class LocalLink:
    """What a genuine token grants: one object, under a name, shown or saved."""

    key: str
    download_name: str | None
    inline: bool


def sign_local_token(
    secret: bytes,
    key: str,
    expires_at: datetime,
    download_name: str | None,
    *,
    inline: bool = False,
) -> str:
    _check_secret(secret)
    fields: dict[str, object] = {
        "k": key,
        "e": int(_aware(expires_at, "expires_at").timestamp()),
        "n": download_name,
    }
    if inline:
        fields["i"] = 1
    payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{_encode(payload)}.{_encode(_mac(secret, payload))}"


def verify_local_token(secret: bytes, token: str, now: datetime) -> tuple[str, str | None]:
    """Returns (key, download_name) of a genuine, unexpired token."""
    link = verify_local_link(secret, token, now)
    return link.key, link.download_name


def verify_local_link(secret: bytes, token: str, now: datetime) -> LocalLink:
    """What a genuine, unexpired token grants."""
    _check_secret(secret)
    encoded_payload, dot, encoded_mac = token.partition(".")
    if not dot:
        raise InvalidDownloadToken("This download link is malformed.")
    payload, mac = _decode(encoded_payload), _decode(encoded_mac)
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise InvalidDownloadToken("This download link is not genuine.")
    key, expires_at, download_name, inline = _parse(payload)
    if _aware(now, "now").timestamp() >= expires_at:
        expired = datetime.fromtimestamp(expires_at, UTC).isoformat()
        raise InvalidDownloadToken(f"This download link expired at {expired}.")
    return LocalLink(key, download_name, inline)


def local_url_signer(
    secret: bytes,
    base_url: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> UrlSigner:
    """A `LocalObjectStore` signer making `<base_url>?token=<token>` links."""
    _check_secret(secret)
    separator = "&" if "?" in base_url else "?"

    def sign(
        key: str, expires: timedelta, download_name: str | None, *, inline: bool = False
    ) -> str:
        token = sign_local_token(secret, key, clock() + expires, download_name, inline=inline)
        return f"{base_url}{separator}token={token}"

    return sign


def _parse(payload: bytes) -> tuple[str, int, str | None, bool]:
    # Only reached with a valid MAC, so a failure here means a signer bug, not an attack;
    # still answer with the same clear error.
    try:
        fields = json.loads(payload)
        key, expires_at, name = fields["k"], fields["e"], fields["n"]
        inline = fields.get("i") == 1
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidDownloadToken("This download link is malformed.") from exc
    if not isinstance(key, str) or not isinstance(expires_at, int):
        raise InvalidDownloadToken("This download link is malformed.")
    if name is not None and not isinstance(name, str):
        raise InvalidDownloadToken("This download link is malformed.")
    return key, expires_at, name, inline


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidDownloadToken("This download link is malformed.") from exc


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware.")
    return moment


def _check_secret(secret: bytes) -> None:
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"The download-link secret needs at least {_MIN_SECRET_BYTES} bytes.")
