"""Summary templates: their rules and the ownership lookup uploads and regenerates share."""

from __future__ import annotations

from services.kernel.db import Database
from services.kernel.errors import InvalidArgument, NotFound
from services.kernel.tokens import Principal
from services.library import domain
from services.library.store import SummaryTemplateRow

MAX_TEMPLATE_NAME_LENGTH = 100
# Instructions go into every prompt of the summarizer: long enough for a page of guidance,
# short enough to leave the model's context to the transcript.
MAX_INSTRUCTIONS_LENGTH = 4000


def clean_template_name(raw: str) -> str:
    name = " ".join(domain.strip_invisible(raw).split())
    if not name:
        raise InvalidArgument(
            "Give the template a name (for example “Lecture notes”).",
            reason="TEMPLATE_NAME_REQUIRED",
        )
    if len(name) > MAX_TEMPLATE_NAME_LENGTH:
        raise InvalidArgument(
            f"Keep template names under {MAX_TEMPLATE_NAME_LENGTH} characters.",
            reason="TEMPLATE_NAME_TOO_LONG",
        )
    return name


def clean_instructions(raw: str) -> str:
    """Trimmed, line breaks kept (lists of what to cover read better that way)."""
    lines = [" ".join(domain.strip_invisible(line).split()) for line in raw.splitlines()]
    instructions = "\n".join(lines).strip()
    if not instructions:
        raise InvalidArgument(
            "Say what the summary should contain in the template's instructions.",
            reason="TEMPLATE_INSTRUCTIONS_REQUIRED",
        )
    if len(instructions) > MAX_INSTRUCTIONS_LENGTH:
        raise InvalidArgument(
            f"Keep template instructions under {MAX_INSTRUCTIONS_LENGTH} characters.",
            reason="TEMPLATE_INSTRUCTIONS_TOO_LONG",
        )
    return instructions


async def owned_template(
    db: Database, principal: Principal, template_id: str
) -> SummaryTemplateRow:
    """The caller's template; another user's is NOT_FOUND, never revealed."""
    checked = domain.check_id(template_id, "summary_template_id")
    async with db.session() as session:
        template = await session.get(SummaryTemplateRow, checked)
    if template is None or template.owner_id != principal.user_id:
        raise NotFound(
            f"Summary template {domain.quoted(template_id)} does not exist.",
            reason="SUMMARY_TEMPLATE_NOT_FOUND",
        )
    return template
