"""Composes the completion and failure emails of a document, in the owner's language."""

from __future__ import annotations

from email.headerregistry import Address

from services.kernel.action_items import ActionItem
from services.notifier.email.layout import (
    Block,
    Button,
    Excerpt,
    ItemList,
    Paragraph,
    render_html,
    render_text,
)
from services.notifier.email.model import Email, EmailContext, FailedStep, Language
from services.notifier.email.wording import Wording, format_duration, wording_for

MAX_SUBJECT_TITLE_CHARS = 100
MAX_EXCERPT_CHARS = 600
# An email is a digest: the document page has the rest.
MAX_LISTED_ITEMS = 15
MAX_ITEM_CHARS = 300

# RFC 3834: tells mail servers this is automatic, so out-of-office replies are not sent back.
AUTOMATIC_EMAIL_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def completion_email(ctx: EmailContext) -> Email:
    language = Language.from_code(ctx.language)
    words = wording_for(language)
    title = _document_title(ctx, words)
    if ctx.duration_seconds > 0:
        intro = words.completion_intro_with_duration.format(
            title=title, duration=format_duration(ctx.duration_seconds)
        )
    else:
        intro = words.completion_intro.format(title=title)
    blocks: list[Block] = [Paragraph(words.greeting(_one_line(ctx.to_name))), Paragraph(intro)]
    excerpt = _shorten(ctx.summary_excerpt.strip(), MAX_EXCERPT_CHARS)
    if excerpt:
        blocks.append(Excerpt(words.summary_heading, excerpt))
    blocks += _item_lists(ctx, words)
    blocks.append(Button(words.open_document, ctx.document_url))
    if ctx.pdf_url:
        blocks.append(Button(words.download_pdf, ctx.pdf_url))
        blocks.append(Paragraph(words.pdf_link_expiry, muted=True))
    blocks.append(Paragraph(words.footer, muted=True))
    subject = words.completion_subject.format(title=_shorten(title, MAX_SUBJECT_TITLE_CHARS))
    return _email(ctx, language, subject, blocks)


def failure_email(
    ctx: EmailContext, reason: str, *, step: FailedStep = FailedStep.UNKNOWN
) -> Email:
    """`reason` is the failing stage's explanation for people; `step` says which stage failed."""
    language = Language.from_code(ctx.language)
    words = wording_for(language)
    title = _document_title(ctx, words)
    blocks: list[Block] = [
        Paragraph(words.greeting(_one_line(ctx.to_name))),
        Paragraph(words.failed_step[step].format(title=title)),
    ]
    if reason.strip():
        blocks.append(Paragraph(words.failure_reason.format(reason=reason.strip())))
    blocks.append(Paragraph(words.retry_hint))
    blocks.append(Button(words.open_document, ctx.document_url))
    blocks.append(Paragraph(words.footer, muted=True))
    subject = words.failure_subject.format(title=_shorten(title, MAX_SUBJECT_TITLE_CHARS))
    return _email(ctx, language, subject, blocks)


def _item_lists(ctx: EmailContext, words: Wording) -> list[Block]:
    """What was decided and who does what by when, as the summary says."""
    lists: list[Block] = []
    actions = [_action_line(item, words) for item in ctx.action_items if item.text.strip()]
    if actions:
        lists.append(ItemList(words.action_items_heading, _listed(actions)))
    decisions = [_one_line(decision) for decision in ctx.decisions if decision.strip()]
    if decisions:
        lists.append(ItemList(words.decisions_heading, _listed(decisions)))
    return lists


def _action_line(item: ActionItem, words: Wording) -> str:
    line = _one_line(item.text)
    if item.owner.strip():
        line = words.action_owner.format(text=line, owner=_one_line(item.owner))
    if item.due.strip():
        line = words.action_due.format(text=line, due=words.due_date(_one_line(item.due)))
    return line


def _listed(items: list[str]) -> tuple[str, ...]:
    shown = [_shorten(item, MAX_ITEM_CHARS) for item in items[:MAX_LISTED_ITEMS]]
    if len(items) > MAX_LISTED_ITEMS:
        shown.append("…")
    return tuple(shown)


def _email(ctx: EmailContext, language: Language, subject: str, blocks: list[Block]) -> Email:
    return Email(
        to=str(Address(display_name=_one_line(ctx.to_name), addr_spec=ctx.to_address)),
        subject=subject,
        text=render_text(blocks),
        html=render_html(blocks, title=subject, language=language.value),
        headers={**AUTOMATIC_EMAIL_HEADERS, "Content-Language": language.value},
    )


def _document_title(ctx: EmailContext, words: Wording) -> str:
    return _one_line(ctx.document_title) or _one_line(ctx.original_file_name) or words.untitled


def _one_line(text: str) -> str:
    """Collapses newlines and runs of spaces: titles and names go into headers and sentences."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"
