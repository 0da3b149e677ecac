"""Every fixed word the report prints, in each language it is written in.

`Labels` is the schema; the words are data, one file per language in `locales/` (`fr.toml`),
read once at import (`services.kernel.locale_files`: a missing or unknown key stops the import
naming the file and key). Adding a language means adding its file, its code to
`ReportLanguage`, `SUPPORTED_LANGUAGES` and `report_language_for`, its month names to
`services.kernel.written_dates` and its entry to `_LABELS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.kernel.language_tags import primary_subtag
from services.kernel.locale_files import load_locale
from services.kernel.written_dates import ENGLISH_MONTHS, FRENCH_MONTHS
from services.renderer.report.model import ReportLanguage


@dataclass(frozen=True, slots=True)
class Labels:
    document_kind: str
    contents: str
    summary: str
    key_points: str
    decisions: str
    action_items: str
    topics: str
    transcript: str
    appendix: str
    processing_details: str
    about_this_report: str
    # Cover and processing-details fields.
    date: str
    duration: str
    source_file: str
    language: str
    language_name: str
    # Names of the languages a recording may be in, by primary BCP-47 subtag.
    language_names: Mapping[str, str]
    transcription_model: str
    summary_provider: str
    summary_model: str
    segment_count: str
    speakers: str
    # Table headers.
    action: str
    owner: str
    due: str
    time_range: str
    topic: str
    # Shown instead of an empty section.
    no_summary: str
    no_key_points: str
    no_decisions: str
    no_action_items: str
    no_topics: str
    no_transcript: str
    unassigned_owner: str
    no_due: str
    ai_notice: str
    page_of: str  # format string with {page} and {total}
    months: tuple[str, ...]  # from services.kernel.written_dates, not the locale file


_LOCALES = Path(__file__).with_name("locales")


def _read_labels(language: ReportLanguage, months: tuple[str, ...]) -> Labels:
    return load_locale(_LOCALES / f"{language}.toml", Labels, in_code={"months": months})


_LABELS: dict[ReportLanguage, Labels] = {
    "en": _read_labels("en", ENGLISH_MONTHS),
    "fr": _read_labels("fr", FRENCH_MONTHS),
}


def labels_for(language: ReportLanguage) -> Labels:
    return _LABELS[language]


def spoken_language_name(spoken_language: str, labels: Labels) -> str:
    """The recording's language in the report's words (`Anglais` in a French report); the
    report's own language when the recording's is not known, a code the labels do not name
    as it is."""
    if not spoken_language.strip():
        return labels.language_name
    return labels.language_names.get(primary_subtag(spoken_language), spoken_language.strip())
