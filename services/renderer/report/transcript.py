"""The transcript section, which is most of a long report and so most of the render time."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph
from reportlab.platypus.paraparser import ParaFrag

from services.renderer.report.layout import SkippedInLayoutPass
from services.renderer.report.model import Topic, TranscriptSegment
from services.renderer.report.text import clean_text, escape_markup, format_timestamp

_HOUR = 3600.0


def transcript_paragraphs(
    segments: Sequence[TranscriptSegment],
    style_short: ParagraphStyle,
    style_long: ParagraphStyle,
    anchors: dict[int, list[str]],
) -> list[Flowable]:
    """One hanging-indent paragraph per spoken segment, its timestamp in the margin.

    ``anchors`` maps a segment index to link-target names placed at that segment.
    """
    style = style_long if any(s.start_seconds >= _HOUR for s in segments) else style_short
    paragraphs: list[Flowable] = []
    for index, segment in enumerate(segments):
        text = _spoken_text(segment)
        if not text:
            continue
        timestamp = format_timestamp(segment.start_seconds)
        names = anchors.get(index)
        if names:
            targets = "".join(f'<a name="{name}"/>' for name in names)
            paragraphs.append(SkippedInLayoutPass(targets + escape_markup(text), style, timestamp))
        else:
            paragraphs.append(_plain_paragraph(text, style, timestamp))
    return paragraphs


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
