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


def decode_token(token: str, fingerprint: str) -> Cursor | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        cursor = Cursor(datetime.fromisoformat(payload["t"]), str(payload["i"]))
        same_query = payload["q"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(
            "The page token is not valid; start again without one.", reason="INVALID_PAGE_TOKEN"
        ) from exc
    if not same_query:
        raise InvalidArgument(
            "The page token belongs to a different query; keep the filters the same while paging.",
            reason="PAGE_TOKEN_MISMATCH",
        )
    return cursor
