"""Paragraph styles, built once per process: creating styles per paragraph is measurable cost."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle

from services.renderer.report.fonts import FontFamily, report_fonts

ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#c8d1dc")
TABLE_HEADER_BACKGROUND = colors.HexColor("#e8eef5")

# Hanging indents wide enough for "[mm:ss]" and "[h:mm:ss]" in the body font size.
_SHORT_TIMESTAMP_INDENT = 44
_LONG_TIMESTAMP_INDENT = 56


@dataclass(frozen=True, slots=True)
class ReportStyles:
    fonts: FontFamily
    cover_title: ParagraphStyle
    cover_subtitle: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    bullet: ParagraphStyle
    empty_note: ParagraphStyle
    notice: ParagraphStyle
    table_header: ParagraphStyle
    table_cell: ParagraphStyle
    transcript_short: ParagraphStyle
    transcript_long: ParagraphStyle
    transcript_speaker_short: ParagraphStyle
    transcript_speaker_long: ParagraphStyle
    toc_levels: tuple[ParagraphStyle, ...]


@functools.cache
def report_styles() -> ReportStyles:
    fonts = report_fonts()
    body = ParagraphStyle("Body", fontName=fonts.regular, fontSize=10, leading=14, spaceAfter=6)

    def transcript_style(name: str, indent: int) -> ParagraphStyle:
        # The timestamp is drawn as the paragraph's bullet at the left margin, and every line
        # of text starts at the indent: a true hanging indent without a table per segment.
        return ParagraphStyle(
            name,
            parent=body,
            leftIndent=indent,
            bulletIndent=0,
            bulletFontName=fonts.bold,
            bulletFontSize=9,
            bulletColor=MUTED,
            spaceAfter=4,
        )

    def speaker_style(name: str, indent: int) -> ParagraphStyle:
        # The name heads its turn in the text column, above the turn's first timestamped
        # segment.
        return ParagraphStyle(
            name,
            parent=body,
            fontName=fonts.bold,
            textColor=ACCENT,
            leftIndent=indent,
            spaceBefore=6,
            spaceAfter=1,
        )

    # Each smaller variant is its parent with other sizes (and for the cover, other colours).
    cover_title = ParagraphStyle(
        "CoverTitle",
        fontName=fonts.bold,
        fontSize=26,
        leading=32,
        textColor=ACCENT,
        alignment=TA_CENTER,
        spaceAfter=10,
    )
    heading = ParagraphStyle(
        "Heading",
        fontName=fonts.bold,
        fontSize=17,
        leading=22,
        textColor=ACCENT,
        spaceBefore=14,
        spaceAfter=10,
        keepWithNext=1,
    )
    toc_level_0 = ParagraphStyle(
        "TocLevel0",
        fontName=fonts.bold,
        fontSize=11,
        leading=18,
        leftIndent=0,
        firstLineIndent=0,
    )
    return ReportStyles(
        fonts=fonts,
        cover_title=cover_title,
        cover_subtitle=ParagraphStyle(
            "CoverSubtitle",
            parent=cover_title,
            fontName=fonts.regular,
            fontSize=13,
            leading=18,
            textColor=MUTED,
            spaceAfter=36,
        ),
        heading=heading,
        subheading=ParagraphStyle(
            "Subheading", parent=heading, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=6
        ),
        body=body,
        bullet=ParagraphStyle("Bullet", parent=body, leftIndent=16, bulletIndent=4, spaceAfter=4),
        empty_note=ParagraphStyle("EmptyNote", parent=body, fontName=fonts.italic, textColor=MUTED),
        notice=ParagraphStyle(
            "Notice",
            parent=body,
            fontName=fonts.italic,
            fontSize=9.5,
            leading=13,
            textColor=MUTED,
            borderColor=RULE,
            borderWidth=0.75,
            borderPadding=8,
            spaceBefore=8,
        ),
        table_header=ParagraphStyle("TableHeader", parent=body, fontName=fonts.bold, spaceAfter=0),
        table_cell=ParagraphStyle("TableCell", parent=body, spaceAfter=0),
        transcript_short=transcript_style("TranscriptShort", _SHORT_TIMESTAMP_INDENT),
        transcript_long=transcript_style("TranscriptLong", _LONG_TIMESTAMP_INDENT),
        transcript_speaker_short=speaker_style("TranscriptSpeakerShort", _SHORT_TIMESTAMP_INDENT),
        transcript_speaker_long=speaker_style("TranscriptSpeakerLong", _LONG_TIMESTAMP_INDENT),
        toc_levels=(
            toc_level_0,
            ParagraphStyle(
                "TocLevel1",
                parent=toc_level_0,
                fontName=fonts.regular,
                fontSize=10,
                leading=15,
                leftIndent=18,
            ),
        ),
    )
