"""The document reads and the one plain edit the servicers ask for, as values: a servicer
turns its request into one of these (proto -> query) and the answer back into a message;
the SQL is in services/library/lifecycle/sql_queries.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # pages.py raises the kernel's gRPC-aware errors; only the type is needed
    from services.library.pages import Cursor

Row = TypeVar("Row")

# The words of a search that count; the rest of a long query is ignored.
MAX_QUERY_WORDS = 10


@dataclass(frozen=True)
class DocumentListing:
    """One page of an owner's documents, newest first."""

    owner_id: str
    size: int
    folder_id: str | None = None
    status: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    # Each word must appear in the title, the transcript or the summary.
    words: tuple[str, ...] = ()
    after: Cursor | None = None


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    # Whether a next page exists (then its cursor is the last row's).
    more: bool
    # Counted only for the lists whose response reports it.
    total: int | None = None

    @classmethod
    def of(cls, rows: list[Row], size: int, total: int | None = None) -> Page[Row]:
        """The page in `rows`, read one row past `size` to learn whether another follows."""
        return cls(rows=rows[:size], more=len(rows) > size, total=total)

    @property
    def last(self) -> Row | None:
        """The row the next page starts after (None when this page is the last)."""
        return self.rows[-1] if self.more else None


@dataclass(frozen=True)
class DocumentEdit:
    """A rename and/or a move; it changes neither the state nor the version."""

    title: str | None = None
    move: bool = False
    # Where a move puts the document (None: out of every folder).
    folder_id: str | None = None


@dataclass(frozen=True)
class JobListing:
    """One page of every owner's jobs (the admins' view), newest first."""

    size: int
    status: int | None = None
    stage: int | None = None
    after: Cursor | None = None
