"""Fixed wording of generated summaries, in each supported language."""

from __future__ import annotations

from dataclasses import dataclass

from services.summarizer.engine.model import Language, StructuredSummary


@dataclass(frozen=True)
class Labels:
    no_speech_title: str
    no_speech_summary: str
    title_template: str  # "{keywords}" is replaced by the meeting's main keywords
    list_conjunction: str
    sections_note_template: str  # "{sections}" is replaced by how many sections

    def join_words(self, words: list[str]) -> str:
        """'a', 'b', 'c' -> 'a, b and c' (or '... et c')."""
        if len(words) <= 1:
            return "".join(words)
        return f"{', '.join(words[:-1])} {self.list_conjunction} {words[-1]}"


LABELS: dict[Language, Labels] = {
    "en": Labels(
        no_speech_title="No speech detected",
        no_speech_summary="No speech was detected in this recording.",
        title_template="Meeting: {keywords}",
        list_conjunction="and",
        sections_note_template=(
            "This summary was built from {sections} sections of the transcript, which is "
            "longer than the language model's context."
        ),
    ),
    "fr": Labels(
        no_speech_title="Aucune parole détectée",
        no_speech_summary="Aucune parole n'a été détectée dans cet enregistrement.",
        title_template="Réunion : {keywords}",
        list_conjunction="et",
        sections_note_template=(
            "Ce résumé a été construit à partir de {sections} sections de la transcription, "
            "plus longue que le contexte du modèle de langue."
        ),
    ),
}


def no_speech_summary(language: Language, provider: str, model: str) -> StructuredSummary:
    labels = LABELS[language]
    return StructuredSummary(
        title=labels.no_speech_title,
        summary=labels.no_speech_summary,
        key_points=[],
        decisions=[],
        action_items=[],
        topics=[],
        language=language,
        provider=provider,
        model=model,
    )
