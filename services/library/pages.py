"""AIP-158 page tokens: opaque, tied to the query that made them, stable under inserts.

A List RPC states its page once, as a `Paging` of its request and of what identifies its
query; the Paging gives the page's size and cursor, and the token of the page after it."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from services.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The tokens this module writes are about 150 characters.
MAX_TOKEN_LENGTH = 512

Position = TypeVar("Position")


@dataclass(frozen=True)
class Cursor:
    """The last row of the previous page in (create_time desc, id desc) order."""

    create_time: datetime
    id: str


class Listed(Protocol):
    """A row of a list in (create_time desc, id desc) order."""

    @property
    def create_time(self) -> datetime: ...

    @property
    def id(self) -> str: ...


class Named(Protocol):
    """A row of a list by a name unique per owner."""

    @property
    def name(self) -> str: ...


class PagedRequest(Protocol):
    """A List RPC's request (AIP-158)."""

    page_size: int
    page_token: str


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size cannot be negative.", reason="INVALID_PAGE_SIZE")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def encode_position(position: dict[str, object], fingerprint: str) -> str:
    """A page token: where the next page starts, and the query it belongs to."""
    payload = json.dumps({**position, "q": fingerprint}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_position(
    token: str,
    fingerprint: str,
    read: Callable[[dict[str, Any]], Position | None],
    *,
    invalid: str = "The page token is not valid; start again without one.",
    mismatch: str,
) -> Position | None:
    """The position `read` takes from a token `encode_position` wrote (None without a token).
    INVALID_ARGUMENT (`invalid`) for anything else — the token is opaque, but clients can
    still send crafted ones: `read` answers None, or raises, for fields that are not ours —
    and PAGE_TOKEN_MISMATCH (`mismatch`) for a token of another query."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument(invalid, reason="INVALID_PAGE_TOKEN")
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        position = read(payload)
        same_query = payload["q"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(invalid, reason="INVALID_PAGE_TOKEN") from exc
    if position is None:
        raise InvalidArgument(invalid, reason="INVALID_PAGE_TOKEN")
    if not same_query:
        raise InvalidArgument(mismatch, reason="PAGE_TOKEN_MISMATCH")
    return position


def _read_cursor(payload: dict[str, Any]) -> Cursor | None:
    create_time = datetime.fromisoformat(payload["t"])
    row_id = payload["i"]
    # A naive time would fail in the query (as a 500); an id that is not text is not ours.
    if create_time.tzinfo is None or not isinstance(row_id, str) or len(row_id) > 64:
        return None
    return Cursor(create_time, row_id)


def _read_name(payload: dict[str, Any]) -> str | None:
    name = payload["n"]
    return name if isinstance(name, str) else None


@dataclass(frozen=True)
class Paging:
    """The page a List RPC's request asks for: how many rows, from which token, and the
    fingerprint of the query the tokens belong to."""

    size: int
    token: str
    fingerprint: str

    @classmethod
    def of(cls, request: PagedRequest, *query: object) -> Paging:
        """`request`'s page of the query `query` identifies (INVALID_ARGUMENT for a negative
        page_size)."""
        return cls(page_size(request.page_size), request.page_token, query_fingerprint(*query))

    def cursor(self) -> Cursor | None:
        """Where the page starts in (create_time desc, id desc) order (None: at the top)."""
        return decode_position(
            self.token,
            self.fingerprint,
            _read_cursor,
            mismatch="The page token belongs to a different query; "
            "keep the filters the same while paging.",
        )

    def next_token(self, last: Listed | tuple[Listed, object] | None) -> str:
        """The token of the page after the one `last` ends ("" when no page follows). `last`
        may come with what the list gives beside it (a folder and its number of documents, a
        job and its document): the row is the first of the pair."""
        if isinstance(last, tuple):
            last = last[0]
        if last is None:
            return ""
        return encode_position({"t": last.create_time.isoformat(), "i": last.id}, self.fingerprint)

    def after_name(self) -> str | None:
        """For lists by a name unique per owner, where the last name seen is the whole cursor:
        the name the page starts after (None: at the top)."""
        return decode_position(
            self.token,
            self.fingerprint,
            _read_name,
            mismatch="The page token belongs to a different query; start again without one.",
        )

    def next_name_token(self, last: Named | None) -> str:
        """The token of the page after the one `last` ends, in a list by name."""
        return "" if last is None else encode_position({"n": last.name}, self.fingerprint)
