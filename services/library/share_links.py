"""Share links: the rules for read-only links to one document, no I/O.

A link's token is the only credential its holder has, so it is unguessable (32 random bytes)
and only its SHA-256 is stored: a copy of the database opens no document. A token is long
and random, so a plain hash (no salt, no slow KDF) is enough and lets a lookup be one index
probe."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from services.kernel.errors import InvalidArgument, NotFound

DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=90)
MIN_TTL = timedelta(minutes=1)
TOKEN_BYTES = 32
# Every refusal of a token reads the same, so a holder never learns whether it expired, was
# revoked or never existed.
GONE_MESSAGE = "This share link has expired or was revoked."
GONE_REASON = "SHARE_LINK_NOT_FOUND"
# Longer than any token_urlsafe(32) (43 characters); longer input is refused unhashed.
MAX_TOKEN_LENGTH = 100


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_gone() -> NotFound:
    return NotFound(GONE_MESSAGE, reason=GONE_REASON)


def checked_token(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise link_gone()
    return token


def link_ttl(requested: timedelta | None) -> timedelta:
    """The link's lifetime: 7 days unless asked, between a minute and 90 days."""
    if requested is None or requested == timedelta(0):
        return DEFAULT_TTL
    if requested < MIN_TTL or requested > MAX_TTL:
        raise InvalidArgument(
            f"A share link lasts between 1 minute and {MAX_TTL.days} days "
            f"(the default is {DEFAULT_TTL.days} days).",
            reason="INVALID_SHARE_LINK_TTL",
            metadata={"max_ttl_seconds": str(int(MAX_TTL.total_seconds()))},
        )
    return requested


def share_url(public_base_url: str, token: str) -> str:
    """The shared page; `?format=txt` (srt, vtt, json, md, docx) on it downloads an export."""
    return f"{public_base_url.rstrip('/')}/s/{token}"
