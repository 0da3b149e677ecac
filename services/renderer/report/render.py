"""Rendering a report to PDF bytes."""

from __future__ import annotations

import io

from services.renderer.report.labels import labels_for
from services.renderer.report.layout import PageTotal, ReportDocTemplate
from services.renderer.report.model import ReportInput
from services.renderer.report.story import build_story
from services.renderer.report.styles import report_styles

_PRODUCER = "SpeechFlow"


def render_report(data: ReportInput) -> bytes:
    """Render the whole report as a PDF document (cover, contents, sections, transcript)."""
    labels = labels_for(data.language)
    styles = report_styles()
    page_total = PageTotal()
    output = io.BytesIO()
    document = ReportDocTemplate(
        output,
        header_text=data.title,
        labels=labels,
        styles=styles,
        page_total=page_total,
        title=data.title,
        subject=labels.document_kind,
        author=_PRODUCER,
        creator=_PRODUCER,
        lang=data.language,
    )
    # Extra passes settle the table of contents' page numbers and the "of N" page total.
    document.multiBuild([page_total, *build_story(data, labels, styles)])
    return output.getvalue()
