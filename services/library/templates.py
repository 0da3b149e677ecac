"""Summary templates: their rules and the ownership lookup uploads and regenerates share."""

from __future__ import annotations

from services.kernel.db import Database
from services.kernel.errors import NotFound
from services.kernel.tokens import Principal
from services.library import domain
from services.library.store import SummaryTemplateRow
from services.library.templates_store import SqlTemplates

MAX_TEMPLATE_NAME_LENGTH = 100
# Instructions go into every prompt of the summarizer: long enough for a page of guidance,
# short enough to leave the model's context to the transcript.
MAX_INSTRUCTIONS_LENGTH = 4000


TEMPLATE_NAME = domain.SizeRule(
    MAX_TEMPLATE_NAME_LENGTH,
    "Give the template a name (for example “Lecture notes”).",
    "TEMPLATE_NAME_REQUIRED",
    f"Keep template names under {MAX_TEMPLATE_NAME_LENGTH} characters.",
    "TEMPLATE_NAME_TOO_LONG",
)
INSTRUCTIONS = domain.SizeRule(
    MAX_INSTRUCTIONS_LENGTH,
    "Say what the summary should contain in the template's instructions.",
    "TEMPLATE_INSTRUCTIONS_REQUIRED",
    f"Keep template instructions under {MAX_INSTRUCTIONS_LENGTH} characters.",
    "TEMPLATE_INSTRUCTIONS_TOO_LONG",
)


def clean_template_name(raw: str) -> str:
    return TEMPLATE_NAME.check(domain.one_line(raw))


def clean_instructions(raw: str) -> str:
    """Trimmed, line breaks kept (lists of what to cover read better that way)."""
    lines = [domain.one_line(line) for line in raw.splitlines()]
    return INSTRUCTIONS.check("\n".join(lines).strip())


async def owned_template(
    db: Database, principal: Principal, template_id: str
) -> SummaryTemplateRow:
    """The caller's template; another user's is NOT_FOUND, never revealed."""
    template = await SqlTemplates(db).get(domain.check_id(template_id, "summary_template_id"))
    if template is None or template.owner_id != principal.user_id:
        raise NotFound(
            f"Summary template {domain.quoted(template_id)} does not exist.",
            reason="SUMMARY_TEMPLATE_NOT_FOUND",
        )
    return template
