"""Embedded Unicode fonts for the report.

The PDF base-14 fonts cannot show characters such as ``œ`` or typographic quotes, so the
report embeds Bitstream Vera, which ships inside the reportlab wheel itself
(``reportlab/fonts``, Bitstream Vera licence: free to use, embed and redistribute). It covers
Latin-1 plus ``œ Œ … — €``, curly quotes and dashes: what English and French text needs, with
nothing to vendor or install.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_FONT_DIRECTORY = Path(reportlab.__file__).parent / "fonts"


@dataclass(frozen=True, slots=True)
class FontFamily:
    regular: str
    bold: str
    italic: str
    bold_italic: str


@functools.cache
def report_fonts() -> FontFamily:
    """Register the family once per process (registration parses the TTF files)."""
    family = FontFamily(
        regular="ReportSans",
        bold="ReportSans-Bold",
        italic="ReportSans-Italic",
        bold_italic="ReportSans-BoldItalic",
    )
    files = {
        family.regular: "Vera.ttf",
        family.bold: "VeraBd.ttf",
        family.italic: "VeraIt.ttf",
        family.bold_italic: "VeraBI.ttf",
    }
    for name, file_name in files.items():
        pdfmetrics.registerFont(TTFont(name, str(_FONT_DIRECTORY / file_name)))
    # Lets paragraph markup such as <b> and <i> pick the matching face.
    addMapping(family.regular, 0, 0, family.regular)
    addMapping(family.regular, 1, 0, family.bold)
    addMapping(family.regular, 0, 1, family.italic)
    addMapping(family.regular, 1, 1, family.bold_italic)
    return family
