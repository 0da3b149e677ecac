"""Every sentence of the emails, in English and French.

Templates take user content only as `str.format` arguments, never as part of the template, and
they are plain text: the HTML layout escapes whatever it renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.kernel.written_dates import ENGLISH_MONTHS, FRENCH_MONTHS, written_due_date
from services.notifier.email.model import FailedStep, Language

NBSP = "\u00a0"  # French puts a non-breaking space inside « » and before : ; ! ?


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
    month_names: Sequence[str]
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


ENGLISH = Wording(
    greeting_named="Hi {name},",
    greeting_anonymous="Hi,",
    untitled="Untitled recording",
    completion_subject="Your summary is ready: {title}",
    completion_intro="Your recording “{title}” has been transcribed and summarized.",
    completion_intro_with_duration=(
        "Your recording “{title}” ({duration}) has been transcribed and summarized."
    ),
    summary_heading="Summary",
    decisions_heading="Decisions",
    action_items_heading="Action items",
    action_owner="{text} — {owner}",
    action_due="{text} (due {due})",
    month_names=ENGLISH_MONTHS,
    open_document="Open the document",
    download_pdf="Download the PDF",
    pdf_link_expiry=(
        "The PDF download link expires in 1 hour. After that, you can still download the PDF "
        "from the document page."
    ),
    failure_subject="Processing failed: {title}",
    failed_step={
        FailedStep.UPLOAD: "We could not read the file you uploaded for “{title}”.",
        FailedStep.TRANSCRIPTION: "We could not transcribe your recording “{title}”.",
        FailedStep.SUMMARIZATION: "We could not write the summary of your recording “{title}”.",
        FailedStep.RENDERING: "We could not create the PDF report of your recording “{title}”.",
        FailedStep.UNKNOWN: "We could not finish processing your recording “{title}”.",
    },
    failure_reason="What went wrong: {reason}",
    retry_hint="You can retry from the document page.",
    footer="You are receiving this email because you uploaded a recording to SpeechFlow.",
)

FRENCH = Wording(
    greeting_named="Bonjour {name},",
    greeting_anonymous="Bonjour,",
    untitled="Enregistrement sans titre",
    completion_subject=f"Votre résumé est prêt{NBSP}: {{title}}",
    completion_intro=f"Votre enregistrement «{NBSP}{{title}}{NBSP}» a été transcrit et résumé.",
    completion_intro_with_duration=(
        f"Votre enregistrement «{NBSP}{{title}}{NBSP}» ({{duration}}) a été transcrit et résumé."
    ),
    summary_heading="Résumé",
    decisions_heading="Décisions",
    action_items_heading="Actions à mener",
    action_owner="{text} — {owner}",
    action_due=f"{{text}} (échéance{NBSP}: {{due}})",
    month_names=FRENCH_MONTHS,
    open_document="Ouvrir le document",
    download_pdf="Télécharger le PDF",
    pdf_link_expiry=(
        "Le lien de téléchargement du PDF expire dans 1 heure. Ensuite, vous pourrez toujours "
        "télécharger le PDF depuis la page du document."
    ),
    failure_subject=f"Échec du traitement{NBSP}: {{title}}",
    failed_step={
        FailedStep.UPLOAD: (
            f"Nous n’avons pas pu lire le fichier envoyé pour «{NBSP}{{title}}{NBSP}»."
        ),
        FailedStep.TRANSCRIPTION: (
            f"Nous n’avons pas pu transcrire votre enregistrement «{NBSP}{{title}}{NBSP}»."
        ),
        FailedStep.SUMMARIZATION: (
            f"Nous n’avons pas pu rédiger le résumé de votre enregistrement "
            f"«{NBSP}{{title}}{NBSP}»."
        ),
        FailedStep.RENDERING: (
            f"Nous n’avons pas pu créer le rapport PDF de votre enregistrement "
            f"«{NBSP}{{title}}{NBSP}»."
        ),
        FailedStep.UNKNOWN: (
            f"Nous n’avons pas pu terminer le traitement de votre enregistrement "
            f"«{NBSP}{{title}}{NBSP}»."
        ),
    },
    failure_reason=f"Cause{NBSP}: {{reason}}",
    retry_hint="Vous pouvez relancer le traitement depuis la page du document.",
    footer=("Vous recevez cet e-mail parce que vous avez déposé un enregistrement sur SpeechFlow."),
)

_BY_LANGUAGE = {Language.ENGLISH: ENGLISH, Language.FRENCH: FRENCH}


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
