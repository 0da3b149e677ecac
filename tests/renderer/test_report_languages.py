"""The report's headings follow the summary's language; its cover names the language spoken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.renderer.conversion import report_input
from services.renderer.report import render_report
from speechflow.events.v1 import events_pb2
from tests.renderer.jobs import one_line_transcript, recording_job


def _pdf_of(summary: events_pb2.Summary, *, language: str, summary_language: str = "") -> bytes:
    job = recording_job(
        "planning.wav",
        3.0,
        dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
        title="Weekly planning",
        language=language,
        summary_language=summary_language,
    )
    return render_report(report_input(job, one_line_transcript("We ship on Friday.", 3.0), summary))


def test_a_french_summary_of_an_english_recording_has_french_headings_and_an_english_cover(
    page_texts: Callable[[bytes], list[str]],
) -> None:
    summary = events_pb2.Summary(summary="L’équipe livre vendredi.", language="fr")
    text = "\n".join(page_texts(_pdf_of(summary, language="en", summary_language="fr")))

    assert "Synthèse" in text
    assert "Anglais" in text  # the cover: "Langue : Anglais", the language spoken
    assert "Langue : Français" not in text.replace("\u00a0", " ")


def test_the_summary_as_written_wins_over_the_language_asked(
    page_texts: Callable[[bytes], list[str]],
) -> None:
    # Asked in French, but written in English (the offline summarizer cannot translate).
    summary = events_pb2.Summary(summary="The team ships on Friday.", language="en")
    text = "\n".join(page_texts(_pdf_of(summary, language="en", summary_language="fr")))

    assert "Executive summary" in text
    assert "Synthèse" not in text
    assert "English" in text


def test_an_unknown_recording_language_is_read_from_the_transcript(
    page_texts: Callable[[bytes], list[str]],
) -> None:
    summary = events_pb2.Summary(summary="Résumé court.", language="fr")
    text = "\n".join(page_texts(_pdf_of(summary, language="")))

    assert "Anglais" in text
