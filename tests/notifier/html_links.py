"""Reads an HTML email the way a mail client does: the links it offers and its visible text."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _EmailHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.extend(value or "" for name, value in attrs if name == "href")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def links_in(html: str) -> list[str]:
    parser = _EmailHtml()
    parser.feed(html)
    return parser.links


def tags_in(html: str) -> list[str]:
    parser = _EmailHtml()
    parser.feed(html)
    return parser.tags


def visible_text(html: str) -> str:
    parser = _EmailHtml()
    parser.feed(html)
    # Collapse markup whitespace only: the French text relies on non-breaking spaces.
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.text)).strip()
