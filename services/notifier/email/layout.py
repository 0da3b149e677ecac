"""Renders an email body, given as a few kinds of blocks, to plain text and to simple HTML.

The HTML uses tables and inline styles only, because mail clients drop `<style>` sheets and
modern layout. Every piece of text and every URL is escaped here, so callers pass raw strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Paragraph:
    text: str
    muted: bool = False  # notes and the footer: smaller and grey


@dataclass(frozen=True)
class Excerpt:
    heading: str
    text: str


@dataclass(frozen=True)
class ItemList:
    """A heading and its items, as a bulleted list."""

    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Button:
    label: str
    url: str


Block = Paragraph | Excerpt | ItemList | Button

_FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_PARAGRAPH = "margin:0 0 16px;font-size:15px;line-height:1.6;color:#1f2937;"
_MUTED = "margin:0 0 12px;font-size:13px;line-height:1.5;color:#6b7280;"
_EXCERPT_BOX = "margin:0 0 20px;padding:12px 16px;border-left:3px solid #2563eb;background:#f3f6fd;"
_EXCERPT_HEADING = "margin:0 0 6px;font-size:13px;font-weight:600;color:#2563eb;"
_EXCERPT_TEXT = "margin:0;font-size:14px;line-height:1.6;color:#374151;"
_LIST_HEADING = "margin:0 0 6px;font-size:15px;font-weight:600;color:#111827;"
_LIST = "margin:0 0 20px;padding-left:20px;font-size:14px;line-height:1.6;color:#374151;"
_BUTTON = (
    "display:inline-block;padding:10px 18px;border-radius:6px;background:#2563eb;"
    "color:#ffffff;font-size:15px;font-weight:600;text-decoration:none;"
)


def render_text(blocks: Sequence[Block]) -> str:
    return "\n\n".join(_text_block(block) for block in blocks) + "\n"


def _text_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Excerpt):
        quoted = "\n".join(f"> {line}" if line else ">" for line in block.text.splitlines())
        return f"{block.heading}\n{quoted}"
    if isinstance(block, ItemList):
        return "\n".join([block.heading, *(f"- {item}" for item in block.items)])
    return f"{block.label}\n{block.url}"


def render_html(blocks: Sequence[Block], *, title: str, language: str) -> str:
    body = "\n".join(_html_block(block) for block in blocks)
    return f"""<!DOCTYPE html>
<html lang="{escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
</head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" \
style="background:#f4f5f7;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" \
style="max-width:560px;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;\
font-family:{_FONT};">
<tr><td style="padding:18px 28px;border-bottom:1px solid #e5e7eb;font-size:18px;\
font-weight:700;color:#111827;">SpeechFlow</td></tr>
<tr><td style="padding:24px 28px 12px;">
{body}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""


def _html_text(text: str) -> str:
    return "<br>".join(escape(line) for line in text.splitlines())


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f'<p style="{_MUTED if block.muted else _PARAGRAPH}">{_html_text(block.text)}</p>'
    if isinstance(block, Excerpt):
        return (
            f'<div style="{_EXCERPT_BOX}">'
            f'<p style="{_EXCERPT_HEADING}">{escape(block.heading)}</p>'
            f'<p style="{_EXCERPT_TEXT}">{_html_text(block.text)}</p></div>'
        )
    if isinstance(block, ItemList):
        items = "".join(f"<li>{_html_text(item)}</li>" for item in block.items)
        return (
            f'<p style="{_LIST_HEADING}">{escape(block.heading)}</p>'
            f'<ul style="{_LIST}">{items}</ul>'
        )
    return (
        f'<p style="margin:0 0 16px;"><a href="{escape(block.url, quote=True)}" '
        f'style="{_BUTTON}">{escape(block.label)}</a></p>'
    )
