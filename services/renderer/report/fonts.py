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
from typing import Literal

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
    # Each face with its file in reportlab/fonts and its (bold, italic) in paragraph markup:
    # the mapping lets <b> and <i> pick the matching face.
    faces: tuple[tuple[str, str, Literal[0, 1], Literal[0, 1]], ...] = (
        (family.regular, "Vera.ttf", 0, 0),
        (family.bold, "VeraBd.ttf", 1, 0),
        (family.italic, "VeraIt.ttf", 0, 1),
        (family.bold_italic, "VeraBI.ttf", 1, 1),
    )
    for name, file_name, bold, italic in faces:
        pdfmetrics.registerFont(TTFont(name, str(_FONT_DIRECTORY / file_name)))
        addMapping(family.regular, bold, italic, name)
    return family
