"""A summary's decisions, topics and action items (with owner and due) reach the PDF."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from services.renderer.conversion import report_input
from services.renderer.report import render_report
from speechflow.events.v1 import events_pb2
from tests.renderer.jobs import one_line_transcript, recording_job

PdfTextReader = Callable[[bytes], list[str]]


def _meeting_summary(language: str = "en") -> events_pb2.Summary:
    return events_pb2.Summary(
        title="Support escalations",
        summary="The team went through the ticket backlog.",
        decisions=["Hire two temporary agents for December"],
        action_items=[
            events_pb2.ActionItem(
                text="Send finance the corrected template", owner="Nina", due="2026-11-05"
            ),
            events_pb2.ActionItem(
                text="Ask engineering for a fix date",
                owner="Grace",
                due="before the end of the week",
            ),
            events_pb2.ActionItem(text="Book the training room"),
        ],
        topics=[events_pb2.Topic(title="Ticket backlog", start_seconds=0.0, end_seconds=4.0)],
        language=language,
    )


def _pdf_text(summary: events_pb2.Summary, page_texts: PdfTextReader) -> str:
    job = recording_job("escalations.wav", 4.0, dt.datetime(2026, 11, 3, 14, 0, tzinfo=dt.UTC))
    pdf = render_report(
        report_input(job, one_line_transcript("Two hundred tickets.", 4.0), summary)
    )
    # Table cells wrap; one space for any run of white space keeps the assertions readable.
    return re.sub(r"\s+", " ", "\n".join(page_texts(pdf)))


def test_action_items_show_their_owner_and_due_date(page_texts: PdfTextReader) -> None:
    text = _pdf_text(_meeting_summary(), page_texts)

    assert "Action Owner Due" in text
    assert "Send finance the corrected template Nina 5 November 2026" in text
    assert "Ask engineering for a fix date Grace before the end of the week" in text
    assert "Book the training room Unassigned —" in text


def test_decisions_and_topics_are_in_the_report(page_texts: PdfTextReader) -> None:
    text = _pdf_text(_meeting_summary(), page_texts)

    assert "Hire two temporary agents for December" in text
    assert "Ticket backlog" in text


def test_a_french_report_names_the_due_column_and_months_in_french(
    page_texts: PdfTextReader,
) -> None:
    text = _pdf_text(_meeting_summary("fr"), page_texts)

    assert "Échéance" in text
    assert "5 novembre 2026" in text
