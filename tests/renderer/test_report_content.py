"""What a reader finds in the rendered report, read back from the PDF's text layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.renderer.report import (
    ActionItem,
    ModelsUsed,
    ReportInput,
    TranscriptSegment,
    render_report,
)

ReportFactory = Callable[..., ReportInput]
PdfTextReader = Callable[[bytes], list[str]]


def test_report_shows_title_summary_key_points_and_timestamped_transcript(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    text = "\n".join(page_texts(render_report(make_report())))

    assert "Quarterly planning meeting" in text
    assert "The team reviewed the roadmap." in text
    assert "Hiring is paused until June." in text
    assert "Roadmap slips by two weeks" in text
    assert "Ship the beta on 2 May" in text
    assert "Draft the beta announcement" in text
    assert "Alice" in text
    assert "[00:05] The roadmap slips by two weeks." in text
    assert "Good morning everyone, let us start." in text


def test_cover_lists_date_duration_source_language_and_models(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(
        duration_seconds=3725.0,
        models=ModelsUsed("base", "openrouter", "llama-3.1-8b"),
    )

    cover = page_texts(render_report(report))[0]

    for expected in (
        "14 March 2025, 09:30 UTC",
        "1 h 02 min 05 s",
        "planning-2025-03-14.m4a",
        "English",
        "base",
        "openrouter / llama-3.1-8b",
    ):
        assert expected in cover


def test_contents_page_lists_every_section(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    contents = page_texts(render_report(make_report()))[1]

    for heading in (
        "Executive summary",
        "Key points",
        "Decisions",
        "Action items",
        "Topics",
        "Full transcript",
        "Appendix",
        "Processing details",
        "About this report",
    ):
        assert heading in contents


def test_topics_show_their_time_ranges(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    text = "\n".join(page_texts(render_report(make_report())))

    assert "00:00 – 00:40" in text
    assert "00:40 – 01:35" in text


def test_appendix_states_that_content_is_ai_generated(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    appendix = page_texts(render_report(make_report()))[-1]

    assert "generated automatically by AI models" in appendix
    assert "lexrank" in appendix


def test_french_report_has_french_headings_and_accents_survive(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(
        title="Réunion budgétaire",
        language="fr",
        summary="L'équipe a validé le budget.",
        key_points=("Le cœur du problème : « élan » à Noël, ça coûte",),
        action_items=(ActionItem("Préparer l'annonce", owner="Hélène"),),
        segments=(TranscriptSegment(5.0, 9.0, "Très bien, on reçoit l'œuvre à Noël."),),
    )

    pages = page_texts(render_report(report))
    text = "\n".join(pages)

    for heading in (
        "Table des matières",
        "Synthèse",
        "Points clés",
        "Décisions",
        "Actions à mener",
        "Sujets abordés",
        "Transcription intégrale",
        "Annexe",
    ):
        assert heading in text
    assert "Executive summary" not in text
    assert "Réunion budgétaire" in text
    assert "Le cœur du problème : « élan » à Noël, ça coûte" in text
    assert "[00:05] Très bien, on reçoit l'œuvre à Noël." in text
    assert "Hélène" in text
    assert "14 mars 2025" in pages[0]
    assert "Page 1 sur" in pages[0]


def test_markup_characters_in_user_text_are_printed_literally(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(
        title="Q&A <b>bold</b> review",
        source_file_name="notes <draft> & co.mp3",
        key_points=("Use <b>& carefully",),
        segments=(TranscriptSegment(1.0, 3.0, "if a < b && c > d then <i>stop</i>"),),
    )

    text = "\n".join(page_texts(render_report(report)))

    assert "Q&A <b>bold</b> review" in text
    assert "notes <draft> & co.mp3" in text
    assert "Use <b>& carefully" in text
    assert "if a < b && c > d then <i>stop</i>" in text


def test_control_characters_in_transcript_do_not_break_rendering(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(segments=(TranscriptSegment(0.0, 2.0, "bell\x07 and null\x00 here"),))

    text = "\n".join(page_texts(render_report(report)))

    assert "bell and null here" in text


def test_empty_sections_say_none_instead_of_failing(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(
        summary="",
        key_points=(),
        decisions=(),
        action_items=(),
        topics=(),
        segments=(),
    )

    text = "\n".join(page_texts(render_report(report)))

    for note in (
        "None — no summary was produced.",
        "None — no key points were identified.",
        "None — no decisions were recorded.",
        "None — no action items were identified.",
        "None — no topics were identified.",
        "None — the recording contained no recognised speech.",
    ):
        assert note in text


def test_transcript_past_an_hour_uses_hour_timestamps(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(
        duration_seconds=3700.0,
        segments=(
            TranscriptSegment(5.0, 9.0, "Early remark."),
            TranscriptSegment(3605.0, 3610.0, "Late remark."),
        ),
        created=dt.date(2025, 3, 14),
    )

    text = "\n".join(page_texts(render_report(report)))

    assert "[00:05] Early remark." in text
    assert "[1:00:05] Late remark." in text
    assert "14 March 2025" in text
