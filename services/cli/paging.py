"""Reading the paged List and Search RPCs (AIP-158) and picking one listed item by id or name.

Every command that lists something walks `page_token` / `next_page_token` the same way; the
ones that take `--limit` ask each page for no more than they still want.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from rich.console import RenderableType

from services.cli.context import Context
from services.cli.errors import CliError, ExitCode
from services.cli.session import Session

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


@dataclass(frozen=True)
class NamedList(Generic[PageT, ListedT]):
    """A list of the caller's own named things (folders, summary templates): read whole from
    its paged List RPC, shown by `… ls`, and named by id or name in other commands."""

    #: What one is called in "No <kind> named …".
    kind: str
    #: One page of the List RPC, from its page_token.
    fetch_page: Callable[[Session, str], PageT]
    items_of: Callable[[PageT], Iterable[ListedT]]
    #: `{json_key: [...]}` is the list command's --json answer.
    json_key: str
    table: Callable[[Sequence[ListedT]], RenderableType]
    #: Shown by the list command when there are none: how to make one.
    when_empty: str
    #: Shown when a name finds none: how to see them, or make one.
    when_not_found: str

    def all(self, session: Session) -> list[ListedT]:
        return every_item(lambda token: self.fetch_page(session, token), self.items_of)

    def pick(self, session: Session, name_or_id: str) -> ListedT:
        """The one with this id, else with this name (exact, then ignoring case)."""
        return pick_by_id_or_name(
            self.all(session), name_or_id, kind=self.kind, hint=self.when_not_found
        )

    def list_command(self, args: argparse.Namespace, context: Context) -> int:
        # Listed things are protobuf messages too, which ListedT cannot also say (Python has
        # no intersection types): Any lets them through to `listing`, which wants messages.
        items: list[Any] = self.all(context.session)
        context.output.listing(self.json_key, items, self.table, self.when_empty)
        return ExitCode.OK
