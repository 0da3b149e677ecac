"""Reading paged lists and picking a listed item by id or name (no server needed)."""

from __future__ import annotations

import pytest

from services.cli.errors import CliError, ExitCode
from services.cli.paging import MAX_PAGE_SIZE, every_item, first_items, pick_by_id_or_name
from speechflow.library.v1 import library_pb2


def _folders(*names: str) -> list[library_pb2.Folder]:
    return [library_pb2.Folder(id=f"id-{index}", name=name) for index, name in enumerate(names)]


def _pages(items: list[int], page_size: int) -> dict[str, library_pb2.ListFoldersResponse]:
    """A fake paged list of folders named by `items`, `page_size` to a page."""
    pages: dict[str, library_pb2.ListFoldersResponse] = {}
    for start in range(0, len(items), page_size):
        next_token = f"t{start + page_size}" if start + page_size < len(items) else ""
        pages["" if start == 0 else f"t{start}"] = library_pb2.ListFoldersResponse(
            folders=[library_pb2.Folder(name=str(i)) for i in items[start : start + page_size]],
            next_page_token=next_token,
        )
    return pages


def test_every_item_follows_the_page_tokens_to_the_end() -> None:
    pages = _pages(list(range(7)), page_size=3)
    asked: list[str] = []

    def fetch(token: str) -> library_pb2.ListFoldersResponse:
        asked.append(token)
        return pages[token]

    names = [folder.name for folder in every_item(fetch, lambda page: page.folders)]
    assert names == [str(i) for i in range(7)]
    assert asked == ["", "t3", "t6"]


def test_first_items_asks_each_page_for_no_more_than_is_still_wanted() -> None:
    pages = _pages(list(range(250)), page_size=MAX_PAGE_SIZE)
    sizes: list[int] = []

    def fetch(token: str, size: int) -> library_pb2.ListFoldersResponse:
        sizes.append(size)
        page = pages[token]
        return library_pb2.ListFoldersResponse(
            folders=page.folders[:size], next_page_token=page.next_page_token
        )

    folders = first_items(130, fetch, lambda page: page.folders)
    assert len(folders) == 130
    assert sizes == [MAX_PAGE_SIZE, 30]


def test_first_items_stops_when_the_list_ends_before_the_limit() -> None:
    pages = _pages(list(range(5)), page_size=MAX_PAGE_SIZE)
    folders = first_items(50, lambda token, size: pages[token], lambda page: page.folders)
    assert len(folders) == 5


@pytest.mark.parametrize(
    ("wanted", "picked"),
    [("id-2", "Work notes"), ("work", "work"), ("WORK notes", "Work notes")],
)
def test_an_item_is_picked_by_id_then_exact_name_then_name_ignoring_case(
    wanted: str, picked: str
) -> None:
    folders = _folders("Work", "work", "Work notes")
    assert pick_by_id_or_name(folders, wanted, kind="folder", hint="").name == picked


def test_a_name_two_items_share_ignoring_case_picks_neither() -> None:
    with pytest.raises(CliError) as raised:
        pick_by_id_or_name(_folders("Work", "WORK"), "work", kind="folder", hint="ls lists them")
    assert raised.value.exit_code == ExitCode.NOT_FOUND
    assert "No folder named 'work'." in str(raised.value)
