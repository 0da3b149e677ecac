"""Every fixed word the report prints, in each language it is written in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.kernel.language_tags import primary_subtag
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
    months: tuple[str, ...]


_ENGLISH = Labels(
    document_kind="Transcript and summary report",
    contents="Contents",
    summary="Executive summary",
    key_points="Key points",
    decisions="Decisions",
    action_items="Action items",
    topics="Topics",
    transcript="Full transcript",
    appendix="Appendix",
    processing_details="Processing details",
    about_this_report="About this report",
    date="Date",
    duration="Duration",
    source_file="Source file",
    language="Language",
    language_name="English",
    language_names={"en": "English", "fr": "French"},
    transcription_model="Transcription model",
    summary_provider="Summary provider",
    summary_model="Summary model",
    segment_count="Transcript segments",
    speakers="Speakers",
    action="Action",
    owner="Owner",
    due="Due",
    time_range="Time",
    topic="Topic",
    no_summary="None — no summary was produced.",
    no_key_points="None — no key points were identified.",
    no_decisions="None — no decisions were recorded.",
    no_action_items="None — no action items were identified.",
    no_topics="None — no topics were identified.",
    no_transcript="None — the recording contained no recognised speech.",
    unassigned_owner="Unassigned",
    no_due="—",
    ai_notice=(
        "The transcript, summary, key points, decisions, action items and topics in this "
        "report were generated automatically by AI models. They may contain errors or "
        "omissions: check important details against the original recording."
    ),
    page_of="Page {page} of {total}",
    months=ENGLISH_MONTHS,
)

_FRENCH = Labels(
    document_kind="Rapport de transcription et de synthèse",
    contents="Table des matières",
    summary="Synthèse",
    key_points="Points clés",
    decisions="Décisions",
    action_items="Actions à mener",
    topics="Sujets abordés",
    transcript="Transcription intégrale",
    appendix="Annexe",
    processing_details="Détails du traitement",
    about_this_report="À propos de ce rapport",
    date="Date",
    duration="Durée",
    source_file="Fichier source",
    language="Langue",
    language_name="Français",
    language_names={"en": "Anglais", "fr": "Français"},
    transcription_model="Modèle de transcription",
    summary_provider="Fournisseur de synthèse",
    summary_model="Modèle de synthèse",
    segment_count="Segments de transcription",
    speakers="Intervenants",
    action="Action",
    owner="Responsable",
    due="Échéance",
    time_range="Horaire",
    topic="Sujet",
    no_summary="Aucune — aucune synthèse n'a été produite.",
    no_key_points="Aucun — aucun point clé n'a été identifié.",
    no_decisions="Aucune — aucune décision n'a été enregistrée.",
    no_action_items="Aucune — aucune action n'a été identifiée.",
    no_topics="Aucun — aucun sujet n'a été identifié.",
    no_transcript="Aucune — l'enregistrement ne contient aucune parole reconnue.",
    unassigned_owner="Non attribuée",
    no_due="—",
    ai_notice=(
        "La transcription, la synthèse, les points clés, les décisions, les actions et les "
        "sujets de ce rapport ont été générés automatiquement par des modèles d'IA. Ils "
        "peuvent contenir des erreurs ou des omissions : vérifiez les informations "
        "importantes dans l'enregistrement d'origine."
    ),
    page_of="Page {page} sur {total}",
    months=FRENCH_MONTHS,
)

_LABELS: dict[ReportLanguage, Labels] = {"en": _ENGLISH, "fr": _FRENCH}


def labels_for(language: ReportLanguage) -> Labels:
    return _LABELS[language]


def spoken_language_name(spoken_language: str, labels: Labels) -> str:
    """The recording's language in the report's words (`Anglais` in a French report); the
    report's own language when the recording's is not known, a code the labels do not name
    as it is."""
    if not spoken_language.strip():
        return labels.language_name
    return labels.language_names.get(primary_subtag(spoken_language), spoken_language.strip())
