"""Reading the paged List and Search RPCs (AIP-158) and picking one listed item by id or name.

Every command that lists something walks `page_token` / `next_page_token` the same way; the
ones that take `--limit` ask each page for no more than they still want.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from services.cli.errors import CliError, ExitCode

# The servers' largest page_size: asking for more is answered with this many anyway.
MAX_PAGE_SIZE = 100


class Page(Protocol):
    @property
    def next_page_token(self) -> str: ...


class Listed(Protocol):
    """A listed resource a person may name by its id or by its name."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


PageT = TypeVar("PageT", bound=Page)
ItemT = TypeVar("ItemT")
ListedT = TypeVar("ListedT", bound=Listed)


def every_item(
    fetch_page: Callable[[str], PageT], items_of: Callable[[PageT], Iterable[ItemT]]
) -> list[ItemT]:
    """All items of a list: `fetch_page(page_token)` until a page names no next one."""
    items: list[ItemT] = []
    token = ""
    while True:
        page = fetch_page(token)
        items += items_of(page)
        token = page.next_page_token
        if not token:
            return items


def first_items(
    limit: int,
    fetch_page: Callable[[str, int], PageT],
    items_of: Callable[[PageT], Iterable[ItemT]],
) -> list[ItemT]:
    """The first `limit` or so items: `fetch_page(page_token, page_size)` asks each page for
    no more than are still wanted (at most MAX_PAGE_SIZE), until the list or the wish ends."""
    items: list[ItemT] = []
    token = ""
    while len(items) < limit:
        page = fetch_page(token, min(MAX_PAGE_SIZE, limit - len(items)))
        items += items_of(page)
        token = page.next_page_token
        if not token:
            break
    return items


def pick_by_id_or_name(
    items: Sequence[ListedT], name_or_id: str, *, kind: str, hint: str
) -> ListedT:
    """The item with this id, else the one with this name, else the one with this name
    ignoring case (a name two items share picks neither); NOT_FOUND `No <kind> named …`
    with `hint` when no step finds exactly one."""
    wanted = name_or_id.casefold()
    for found in (
        [item for item in items if item.id == name_or_id],
        [item for item in items if item.name == name_or_id],
        [item for item in items if item.name.casefold() == wanted],
    ):
        if len(found) == 1:
            return found[0]
    raise CliError(f"No {kind} named {name_or_id!r}.", ExitCode.NOT_FOUND, hint=hint)
