"""The report's content as a list of ReportLab flowables, section by section."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    NextPageTemplate,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from services.renderer.report.labels import Labels, spoken_language_name
from services.renderer.report.layout import CONTENT_TEMPLATE, CONTENT_WIDTH, SectionHeading
from services.renderer.report.model import ReportInput
from services.renderer.report.styles import (
    MUTED,
    RULE,
    TABLE_HEADER_BACKGROUND,
    ReportStyles,
)
from services.renderer.report.text import (
    escape_markup,
    format_date,
    format_due,
    format_duration,
    format_time_range,
    paragraphs_markup,
)
from services.renderer.report.transcript import (
    speakers_in_order,
    topic_anchor_name,
    topic_anchors,
    transcript_paragraphs,
)

_BULLET = "•"


def build_story(data: ReportInput, labels: Labels, styles: ReportStyles) -> list[Flowable]:
    anchors = topic_anchors(data.topics, data.segments)
    return [
        *_cover(data, labels, styles),
        *_contents(labels, styles),
        *_summary(data, labels, styles),
        *_bullet_section(
            "key-points",
            labels.key_points,
            data.key_points,
            labels.no_key_points,
            styles,
        ),
        *_bullet_section(
            "decisions", labels.decisions, data.decisions, labels.no_decisions, styles
        ),
        *_action_items(data, labels, styles),
        *_topics(data, labels, styles, anchors),
        PageBreak(),
        *_transcript(data, labels, styles, anchors),
        PageBreak(),
        *_appendix(data, labels, styles),
    ]


def _cover(data: ReportInput, labels: Labels, styles: ReportStyles) -> list[Flowable]:
    models = data.models
    rows = [
        (labels.date, format_date(data.created, labels)),
        (labels.duration, format_duration(data.duration_seconds)),
        (labels.source_file, data.source_file_name),
        (labels.language, spoken_language_name(data.spoken_language, labels)),
        (labels.transcription_model, models.transcription_model),
        (labels.summary_model, f"{models.summary_provider} / {models.summary_model}"),
    ]
    return [
        Spacer(1, 60 * mm),
        Paragraph(escape_markup(data.title), styles.cover_title),
        Paragraph(escape_markup(labels.document_kind), styles.cover_subtitle),
        _key_value_table(rows, styles),
        NextPageTemplate(CONTENT_TEMPLATE),
        PageBreak(),
    ]


def _contents(labels: Labels, styles: ReportStyles) -> list[Flowable]:
    contents = TableOfContents(levelStyles=list(styles.toc_levels), dotsMinLevel=0)
    return [
        SectionHeading(labels.contents, "contents", styles, in_contents=False),
        contents,
        PageBreak(),
    ]


def _summary(data: ReportInput, labels: Labels, styles: ReportStyles) -> list[Flowable]:
    paragraphs = paragraphs_markup(data.summary)
    body: list[Flowable] = [Paragraph(markup, styles.body) for markup in paragraphs]
    return [
        SectionHeading(labels.summary, "summary", styles),
        *(body or [Paragraph(escape_markup(labels.no_summary), styles.empty_note)]),
    ]


def _bullet_section(
    key: str, title: str, items: Sequence[str], empty_text: str, styles: ReportStyles
) -> list[Flowable]:
    bullets: list[Flowable] = [
        Paragraph(escape_markup(item), styles.bullet, bulletText=_BULLET)
        for item in items
        if item.strip()
    ]
    return [
        SectionHeading(title, key, styles),
        *(bullets or [Paragraph(escape_markup(empty_text), styles.empty_note)]),
    ]


def _action_items(data: ReportInput, labels: Labels, styles: ReportStyles) -> list[Flowable]:
    heading = SectionHeading(labels.action_items, "action-items", styles)
    items = [item for item in data.action_items if item.text.strip()]
    if not items:
        return [
            heading,
            Paragraph(escape_markup(labels.no_action_items), styles.empty_note),
        ]
    rows = [
        [
            Paragraph(escape_markup(item.text), styles.table_cell),
            Paragraph(escape_markup(item.owner or labels.unassigned_owner), styles.table_cell),
            Paragraph(escape_markup(format_due(item.due, labels)), styles.table_cell),
        ]
        for item in items
    ]
    table = _grid_table(
        [labels.action, labels.owner, labels.due],
        rows,
        [CONTENT_WIDTH * 0.56, CONTENT_WIDTH * 0.22, CONTENT_WIDTH * 0.22],
        styles,
    )
    return [heading, table]


def _topics(
    data: ReportInput,
    labels: Labels,
    styles: ReportStyles,
    anchors: dict[int, list[str]],
) -> list[Flowable]:
    heading = SectionHeading(labels.topics, "topics", styles)
    if not data.topics:
        return [heading, Paragraph(escape_markup(labels.no_topics), styles.empty_note)]
    anchored = {name for names in anchors.values() for name in names}
    rows = []
    for index, topic in enumerate(data.topics):
        time_range = escape_markup(format_time_range(topic.start_seconds, topic.end_seconds))
        anchor = topic_anchor_name(index)
        if anchor in anchored:
            # Jumps to the transcript where the topic starts.
            time_range = f'<a href="#{anchor}" color="#1f4e79">{time_range}</a>'
        rows.append(
            [
                Paragraph(time_range, styles.table_cell),
                Paragraph(escape_markup(topic.title), styles.table_cell),
            ]
        )
    table = _grid_table(
        [labels.time_range, labels.topic],
        rows,
        [CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.7],
        styles,
    )
    return [heading, table]


def _transcript(
    data: ReportInput, labels: Labels, styles: ReportStyles, anchors: dict[int, list[str]]
) -> list[Flowable]:
    heading = SectionHeading(labels.transcript, "transcript", styles)
    paragraphs = transcript_paragraphs(data.segments, styles, anchors)
    if not paragraphs:
        return [heading, Paragraph(escape_markup(labels.no_transcript), styles.empty_note)]
    return [heading, *paragraphs]


def _appendix(data: ReportInput, labels: Labels, styles: ReportStyles) -> list[Flowable]:
    models = data.models
    rows = [
        (labels.source_file, data.source_file_name),
        (labels.date, format_date(data.created, labels)),
        (labels.duration, format_duration(data.duration_seconds)),
        (labels.language, spoken_language_name(data.spoken_language, labels)),
        (labels.transcription_model, models.transcription_model),
        (labels.summary_provider, models.summary_provider),
        (labels.summary_model, models.summary_model),
        (labels.segment_count, str(len(data.segments))),
    ]
    speakers = speakers_in_order(data.segments)
    if len(speakers) > 1:
        rows.append((labels.speakers, ", ".join(speakers)))
    return [
        SectionHeading(labels.appendix, "appendix", styles),
        SectionHeading(labels.processing_details, "processing-details", styles, level=1),
        _key_value_table(rows, styles),
        SectionHeading(labels.about_this_report, "about", styles, level=1),
        Paragraph(escape_markup(labels.ai_notice), styles.notice),
    ]


def _key_value_table(rows: Sequence[tuple[str, str]], styles: ReportStyles) -> Table:
    cells = [
        [
            Paragraph(escape_markup(label), styles.table_header),
            Paragraph(escape_markup(value), styles.table_cell),
        ]
        for label, value in rows
    ]
    table = Table(cells, colWidths=[CONTENT_WIDTH * 0.32, CONTENT_WIDTH * 0.68])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _grid_table(
    header: Sequence[str],
    rows: list[list[Paragraph]],
    column_widths: list[float],
    styles: ReportStyles,
) -> Table:
    header_row = [Paragraph(escape_markup(text), styles.table_header) for text in header]
    table = Table([header_row, *rows], colWidths=column_widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), TABLE_HEADER_BACKGROUND),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table
