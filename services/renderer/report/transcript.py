"""The transcript section, which is most of a long report and so most of the render time."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, Paragraph
from reportlab.platypus.paraparser import ParaFrag

from services.renderer.report.layout import ReportDocTemplate, SkippedInLayoutPass, fit_to_width
from services.renderer.report.model import Topic, TranscriptSegment
from services.renderer.report.styles import ReportStyles
from services.renderer.report.text import clean_text, escape_markup, format_timestamp

_HOUR = 3600.0


def transcript_paragraphs(
    segments: Sequence[TranscriptSegment],
    styles: ReportStyles,
    anchors: dict[int, list[str]],
) -> list[Flowable]:
    """One hanging-indent paragraph per spoken segment, its timestamp in the margin.

    When more than one person speaks, each speaker turn (consecutive segments of one speaker)
    starts with the speaker's name on a line of its own; with a single speaker names would
    only repeat themselves, so there are none. ``anchors`` maps a segment index to
    link-target names placed at that segment (at its turn's name when it opens a turn).
    """
    hours = any(s.start_seconds >= _HOUR for s in segments)
    style = styles.transcript_long if hours else styles.transcript_short
    name_style = styles.transcript_speaker_long if hours else styles.transcript_speaker_short
    spoken = [(index, segment, _spoken_text(segment)) for index, segment in enumerate(segments)]
    spoken = [(index, segment, text) for index, segment, text in spoken if text]
    named = len({segment.speaker for _, segment, _ in spoken}) > 1
    paragraphs: list[Flowable] = []
    previous_speaker: str | None = None
    for index, segment, text in spoken:
        targets = anchors.get(index, [])
        speaker = clean_text(segment.speaker).strip()
        if named and speaker and segment.speaker != previous_speaker:
            # A name never ends a page: room for it and two lines of its turn, since a
            # Paragraph will not leave its first line alone at the foot of a page (orphans).
            paragraphs.append(CondPageBreak(_name_height(name_style) + 2 * style.leading))
            paragraphs.append(SpeakerName(speaker, name_style, targets))
            targets = []
        previous_speaker = segment.speaker
        paragraphs.append(_paragraph(text, style, format_timestamp(segment.start_seconds), targets))
    return paragraphs


class SpeakerName(Flowable):
    """The name heading a speaker's turn: one line drawn straight onto the canvas.

    A Paragraph here would cost about as much as a segment's, for every turn of a lively
    meeting; a name is a single line, so nothing of a Paragraph is needed. Topic link
    targets that fall on the turn's first segment are placed here, so a jump shows the name.
    """

    def __init__(self, name: str, style: ParagraphStyle, targets: Sequence[str]) -> None:
        super().__init__()
        self._name = name
        self._style = style
        self._targets = tuple(targets)
        self._line = name
        self.spaceBefore = style.spaceBefore
        self.spaceAfter = style.spaceAfter

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        style = self._style
        self._line = fit_to_width(
            self._name, style.fontName, style.fontSize, avail_width - style.leftIndent
        )
        self.width, self.height = avail_width, style.leading
        return self.width, self.height

    def draw(self) -> None:
        document = getattr(self.canv, "_doctemplate", None)  # set by BaseDocTemplate.build
        if isinstance(document, ReportDocTemplate) and document.layout_only:
            return
        canvas, style = self.canv, self._style
        for target in self._targets:
            canvas.bookmarkHorizontal(target, 0, self.height)
        canvas.setFont(style.fontName, style.fontSize)
        canvas.setFillColor(style.textColor)
        # The baseline sits where a Paragraph of this style puts its first line's.
        canvas.drawString(style.leftIndent, self.height - style.fontSize, self._line)


def _name_height(style: ParagraphStyle) -> float:
    return float(style.spaceBefore + style.leading + style.spaceAfter)


def speakers_in_order(segments: Sequence[TranscriptSegment]) -> list[str]:
    """Each named speaker once, in the order they first speak."""
    return list(dict.fromkeys(s.speaker for s in segments if s.speaker and _spoken_text(s)))


def topic_anchor_name(topic_index: int) -> str:
    return f"topic-{topic_index}"


def topic_anchors(
    topics: Sequence[Topic], segments: Sequence[TranscriptSegment]
) -> dict[int, list[str]]:
    """Which transcript segment (by index) each topic starts at, as named link targets.

    A topic starts at the first spoken segment still running at the topic's start time;
    segments are in chronological order.
    """
    spoken = [index for index, segment in enumerate(segments) if _spoken_text(segment)]
    ends = [segments[index].end_seconds for index in spoken]
    anchors: dict[int, list[str]] = {}
    for topic_index, topic in enumerate(topics):
        position = bisect.bisect_right(ends, topic.start_seconds)
        if position < len(spoken):
            anchors.setdefault(spoken[position], []).append(topic_anchor_name(topic_index))
    return anchors


def _spoken_text(segment: TranscriptSegment) -> str:
    """The printable text of a segment; empty for silence (and then the segment is left out)."""
    return clean_text(segment.text).strip()


def _paragraph(
    text: str, style: ParagraphStyle, bullet: str, targets: Sequence[str]
) -> SkippedInLayoutPass:
    """Plain text, or markup when link targets sit at its start (rare: one per topic)."""
    if targets:
        markup = "".join(f'<a name="{name}"/>' for name in targets) + escape_markup(text)
        return SkippedInLayoutPass(markup, style, bullet)
    return _plain_paragraph(text, style, bullet)


def _plain_paragraph(text: str, style: ParagraphStyle, bullet: str) -> SkippedInLayoutPass:
    """A paragraph of plain text that skips ReportLab's markup parser.

    Parsing is a large share of the cost per paragraph, and an escaped ``&`` or ``<`` would
    split the text into several fragments, which forces the slower line-drawing path. A single
    fragment cloned from the style's own is what the parser produces for markup-free text.
    """
    fragment = _style_fragment(style).clone(text=text)
    return SkippedInLayoutPass(text, style, bullet, frags=[fragment])


@functools.cache
def _style_fragment(style: ParagraphStyle) -> ParaFrag:
    (fragment,) = Paragraph("x", style).frags
    return fragment
