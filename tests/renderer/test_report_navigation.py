"""Finding one's way around the PDF: page numbers, bookmarks, contents links, topic links."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader

from services.renderer.report import ReportInput, Topic, TranscriptSegment, render_report

ReportFactory = Callable[..., ReportInput]
PdfTextReader = Callable[[bytes], list[str]]


def _link_target_pages(reader: PdfReader, page_index: int) -> list[int]:
    """Page indexes that the internal links on one page jump to."""
    page_numbers = {}
    for index, page in enumerate(reader.pages):
        assert page.indirect_reference is not None
        page_numbers[page.indirect_reference.idnum] = index
    targets = []
    for annotation in reader.pages[page_index].get("/Annots", []):
        link = annotation.get_object()
        if link["/Subtype"] == "/Link" and "/Dest" in link:
            targets.append(page_numbers[link["/Dest"][0].idnum])
    return targets


def _outline_titles(reader: PdfReader) -> dict[str, int | None]:
    titles: dict[str, int | None] = {}

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                titles[entry.title] = reader.get_destination_page_number(entry)

    walk(reader.outline)
    return titles


def test_long_transcript_spans_pages_numbered_page_x_of_n(
    make_report: ReportFactory,
    page_texts: PdfTextReader,
    long_transcript: tuple[TranscriptSegment, ...],
) -> None:
    pages = page_texts(render_report(make_report(segments=long_transcript)))
    total = len(pages)

    assert total > 5
    assert f"Page 1 of {total}" in pages[0]
    assert f"Page {total} of {total}" in pages[-1]
    assert "Speaker line 399 about" in "\n".join(pages)


def test_outline_bookmarks_point_at_their_sections(
    make_report: ReportFactory, long_transcript: tuple[TranscriptSegment, ...]
) -> None:
    reader = PdfReader(io.BytesIO(render_report(make_report(segments=long_transcript))))

    outline = _outline_titles(reader)

    assert outline["Contents"] == 1
    assert outline["Executive summary"] == 2
    transcript_page = outline["Full transcript"]
    assert transcript_page is not None
    assert "Full transcript" in reader.pages[transcript_page].extract_text()
    assert outline["Appendix"] == len(reader.pages) - 1
    assert outline["Processing details"] == len(reader.pages) - 1


def test_contents_entries_link_to_section_pages(
    make_report: ReportFactory, long_transcript: tuple[TranscriptSegment, ...]
) -> None:
    reader = PdfReader(io.BytesIO(render_report(make_report(segments=long_transcript))))

    targets = _link_target_pages(reader, page_index=1)

    outline = _outline_titles(reader)
    assert outline["Full transcript"] in targets
    assert outline["Appendix"] in targets
    assert outline["Executive summary"] in targets


def test_contents_page_numbers_match_where_sections_start(
    make_report: ReportFactory,
    page_texts: PdfTextReader,
    long_transcript: tuple[TranscriptSegment, ...],
) -> None:
    pages = page_texts(render_report(make_report(segments=long_transcript)))
    appendix_page_number = len(pages)  # the appendix is the last page

    contents_lines = pages[1].splitlines()

    assert any(line.rstrip().endswith(f". {appendix_page_number}") for line in contents_lines)
    assert "Appendix" in pages[appendix_page_number - 1]


def test_topic_time_range_links_to_the_transcript_where_it_starts(
    make_report: ReportFactory, long_transcript: tuple[TranscriptSegment, ...]
) -> None:
    report = make_report(segments=long_transcript, topics=(Topic("Hiring plan", 1500.0, 1800.0),))
    reader = PdfReader(io.BytesIO(render_report(report)))

    (target,) = _link_target_pages(reader, page_index=2)

    assert "[25:00] Speaker line 300 about" in reader.pages[target].extract_text()


def test_topic_starting_in_silence_links_to_the_next_spoken_segment(
    make_report: ReportFactory,
) -> None:
    report = make_report(
        topics=(Topic("After the pause", 10.0, 30.0),),
        segments=(
            TranscriptSegment(0.0, 9.0, "Before the pause."),
            TranscriptSegment(9.0, 20.0, " \x07 "),
            TranscriptSegment(20.0, 30.0, "After the pause we resumed."),
        ),
    )
    reader = PdfReader(io.BytesIO(render_report(report)))

    (target,) = _link_target_pages(reader, page_index=2)

    assert "[00:20] After the pause we resumed." in reader.pages[target].extract_text()
