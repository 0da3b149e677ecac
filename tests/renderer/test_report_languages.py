"""The report's headings follow the summary's language; its cover names the language spoken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.kernel.protos import timestamp
from services.kernel.transcripts import duration
from services.renderer.conversion import report_input
from services.renderer.report import render_report
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2


def _english_recording() -> library_pb2.Transcript:
    return library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(0.0), end_offset=duration(3.0), text="We ship on Friday."
            )
        ],
        language="en",
        duration=duration(3.0),
    )


def _pdf_of(summary: events_pb2.Summary, *, language: str, summary_language: str = "") -> bytes:
    return render_report(
        report_input(
            events_pb2.JobContext(
                title="Weekly planning",
                original_file_name="planning.wav",
                language=language,
                duration_seconds=3.0,
                create_time=timestamp(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)),
                summary_language=summary_language,
            ),
            _english_recording(),
            summary,
        )
    )


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
