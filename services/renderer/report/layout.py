"""Page layout: page templates, header and footer, bookmarks, table-of-contents entries."""

from __future__ import annotations

from typing import IO, Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph
from reportlab.platypus.doctemplate import IndexingFlowable

from services.renderer.report.labels import Labels
from services.renderer.report.styles import MUTED, RULE, ReportStyles
from services.renderer.report.text import escape_markup

COVER_TEMPLATE = "cover"
CONTENT_TEMPLATE = "content"

_MARGIN = 20 * mm
CONTENT_WIDTH = A4[0] - 2 * _MARGIN
_HEADER_FONT_SIZE = 8.5
_FOOTER_FONT_SIZE = 8.5
# More characters than fit on one A4 line at the header size; bounds the shortening loop.
_LONGEST_HEADER_CHARACTERS = 200


class SectionHeading(Paragraph):
    """A heading that the document turns into a PDF bookmark and, optionally, a ToC entry;
    a level 0 heading in the heading style, a deeper one in the subheading style."""

    def __init__(
        self,
        title: str,
        bookmark_key: str,
        styles: ReportStyles,
        *,
        level: int = 0,
        in_contents: bool = True,
    ) -> None:
        markup = escape_markup(title)
        super().__init__(markup, styles.heading if level == 0 else styles.subheading)
        self.markup = markup
        self.bookmark_key = bookmark_key
        self.outline_title = title
        self.level = level
        self.in_contents = in_contents


class PageTotal(IndexingFlowable):
    """Gives footers the page count, using the extra passes ``multiBuild`` makes anyway.

    Each pass prints the count measured in the previous pass and counts its own pages; the
    build is only done when the printed count equals the real one. (The usual alternative, a
    canvas that holds back every page until the end, breaks bookmarks: they would all point
    to page 1.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.printed: int | None = None
        self.counted = 0

    def beforeBuild(self) -> None:
        self.printed = self.counted or None
        self.counted = 0

    def isSatisfied(self) -> int:
        return int(self.printed == self.counted)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        """Takes no room and draws nothing: it only carries the count between passes."""


class ReportDocTemplate(BaseDocTemplate):
    def __init__(
        self,
        output: IO[bytes],
        *,
        header_text: str,
        labels: Labels,
        styles: ReportStyles,
        page_total: PageTotal,
        **document_info: Any,
    ) -> None:
        super().__init__(
            output,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN,
            **document_info,
        )
        self._labels = labels
        self._styles = styles
        self._page_total = page_total
        self._header_text = fit_to_width(
            header_text, styles.fonts.regular, _HEADER_FONT_SIZE, self.width
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates(
            [
                PageTemplate(COVER_TEMPLATE, frames=[frame], onPage=self._draw_footer),
                PageTemplate(CONTENT_TEMPLATE, frames=[frame], onPage=self._draw_decorations),
            ]
        )

    @property
    def layout_only(self) -> bool:
        """True during the first pass, which only measures: it is never the one saved."""
        return self._page_total.printed is None

    def afterPage(self) -> None:
        self._page_total.counted = self.page

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, SectionHeading):
            return
        self.canv.bookmarkPage(flowable.bookmark_key)
        self.canv.addOutlineEntry(
            flowable.outline_title, flowable.bookmark_key, level=flowable.level
        )
        if flowable.in_contents:
            self.notify(
                "TOCEntry",
                (flowable.level, flowable.markup, self.page, flowable.bookmark_key),
            )

    def _draw_decorations(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self._draw_header(canvas)
        self._draw_footer(canvas, doc)

    def _draw_header(self, canvas: Canvas) -> None:
        top = self.pagesize[1] - _MARGIN + 6 * mm
        canvas.saveState()
        canvas.setFont(self._styles.fonts.regular, _HEADER_FONT_SIZE)
        canvas.setFillColor(MUTED)
        canvas.drawString(self.leftMargin, top + 2, self._header_text)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(self.leftMargin, top - 3, self.leftMargin + self.width, top - 3)
        canvas.restoreState()

    def _draw_footer(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        total = self._page_total.printed
        # Only the first pass lacks the count, and that pass is never saved.
        text = self._labels.page_of.format(page=doc.page, total=total or "?")
        canvas.saveState()
        canvas.setFont(self._styles.fonts.regular, _FOOTER_FONT_SIZE)
        canvas.setFillColor(MUTED)
        canvas.drawCentredString(self.leftMargin + self.width / 2, _MARGIN - 8 * mm, text)
        canvas.restoreState()


class SkippedInLayoutPass(Paragraph):
    """A paragraph that is measured but not drawn while the document only measures.

    Drawing is about half the cost of a pass, and the first pass's drawing is thrown away.
    """

    def draw(self) -> None:
        document = getattr(self.canv, "_doctemplate", None)  # set by BaseDocTemplate.build
        if isinstance(document, ReportDocTemplate) and document.layout_only:
            return
        super().draw()


def fit_to_width(text: str, font_name: str, font_size: float, width: float) -> str:
    """Shorten a one-line string with an ellipsis so it never runs off the page."""
    single_line = " ".join(text.split())
    if stringWidth(single_line, font_name, font_size) <= width:
        return single_line
    ellipsis = "…"
    single_line = single_line[:_LONGEST_HEADER_CHARACTERS]
    while single_line and stringWidth(single_line + ellipsis, font_name, font_size) > width:
        single_line = single_line[:-1]
    return single_line.rstrip() + ellipsis
