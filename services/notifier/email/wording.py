"""Every sentence of the emails, in English and French.

`Wording` is the schema; the sentences are data, one file per language in `locales/`
(`fr.toml`), read once at import (`services.kernel.locale_files`: a missing or unknown key
stops the import naming the file and key). Adding a language means adding its file, its
member to `Language` (and to `Language.from_code`), its month names to
`services.kernel.written_dates` and its entry to `_BY_LANGUAGE`.

Templates take user content only as `str.format` arguments, never as part of the template, and
they are plain text: the HTML layout escapes whatever it renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.kernel.locale_files import load_locale
from services.kernel.written_dates import ENGLISH_MONTHS, FRENCH_MONTHS, written_due_date
from services.notifier.email.model import FailedStep, Language

# Keeps a duration's number and unit on one line (`12 min`); the French sentences' own
# non-breaking spaces are in locales/fr.toml.
NBSP = "\u00a0"


@dataclass(frozen=True)
class Wording:
    greeting_named: str
    greeting_anonymous: str
    untitled: str
    completion_subject: str
    completion_intro: str
    completion_intro_with_duration: str
    summary_heading: str
    decisions_heading: str
    action_items_heading: str
    # "{text} — {owner}", "{text} (due {due})": the parts of an action item that are known.
    action_owner: str
    action_due: str
    month_names: Sequence[str]  # from services.kernel.written_dates, not the locale file
    open_document: str
    download_pdf: str
    pdf_link_expiry: str
    failure_subject: str
    failed_step: Mapping[FailedStep, str]
    failure_reason: str
    retry_hint: str
    footer: str

    def greeting(self, name: str) -> str:
        return self.greeting_named.format(name=name) if name else self.greeting_anonymous

    def due_date(self, due: str) -> str:
        """An ISO date as people write it (`4 December 2026`); other words as they were said."""
        return written_due_date(due, self.month_names)


_LOCALES = Path(__file__).with_name("locales")


def _read_wording(language: Language, month_names: Sequence[str]) -> Wording:
    return load_locale(
        _LOCALES / f"{language.value}.toml",
        Wording,
        in_code={"month_names": month_names},
        keyed_by={"failed_step": FailedStep},
    )


_BY_LANGUAGE = {
    Language.ENGLISH: _read_wording(Language.ENGLISH, ENGLISH_MONTHS),
    Language.FRENCH: _read_wording(Language.FRENCH, FRENCH_MONTHS),
}


def wording_for(language: Language) -> Wording:
    return _BY_LANGUAGE[language]


def format_duration(seconds: float) -> str:
    """`45 s`, `12 min 5 s`, `1 h 2 min`: the same abbreviations read well in both languages."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{NBSP}h {minutes}{NBSP}min" if minutes else f"{hours}{NBSP}h"
    if minutes:
        return f"{minutes}{NBSP}min {secs}{NBSP}s" if secs else f"{minutes}{NBSP}min"
    return f"{secs}{NBSP}s"
