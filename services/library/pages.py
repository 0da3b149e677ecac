"""AIP-158 page tokens: opaque, tied to the query that made them, stable under inserts."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from services.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The tokens this module writes are about 150 characters.
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class Cursor:
    """The last row of the previous page in (create_time desc, id desc) order."""

    create_time: datetime
    id: str


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size cannot be negative.", reason="INVALID_PAGE_SIZE")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def encode_token(cursor: Cursor, fingerprint: str) -> str:
    payload = {"t": cursor.create_time.isoformat(), "i": cursor.id, "q": fingerprint}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _invalid_token() -> InvalidArgument:
    return InvalidArgument(
        "The page token is not valid; start again without one.", reason="INVALID_PAGE_TOKEN"
    )


def decode_token(token: str, fingerprint: str) -> Cursor | None:
    """The cursor in `token`; INVALID_ARGUMENT for anything this module did not write (the
    token is opaque, but clients can still send crafted ones)."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid_token()
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        create_time = datetime.fromisoformat(payload["t"])
        row_id = payload["i"]
        same_query = payload["q"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise _invalid_token() from exc
    # A naive time would fail in the query (as a 500); an id that is not text is not ours.
    if create_time.tzinfo is None or not isinstance(row_id, str) or len(row_id) > 64:
        raise _invalid_token()
    cursor = Cursor(create_time, row_id)
    if not same_query:
        raise InvalidArgument(
            "The page token belongs to a different query; keep the filters the same while paging.",
            reason="PAGE_TOKEN_MISMATCH",
        )
    return cursor
