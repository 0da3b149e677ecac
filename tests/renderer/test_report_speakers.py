"""Who said what in the PDF's transcript: speaker turns, read back from the text layer."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from google.protobuf import json_format
from pypdf import PdfReader

from services.kernel.transcripts import duration, parse_transcript, serialize_transcript
from services.renderer.conversion import report_input
from services.renderer.report import ReportInput, Topic, TranscriptSegment, render_report
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.renderer.bench_report import long_report
from tests.renderer.jobs import recording_job

ReportFactory = Callable[..., ReportInput]
PdfTextReader = Callable[[bytes], list[str]]

MEETING = (
    ("S1", "Good morning, let us start with the budget."),
    ("S1", "The numbers for the quarter are in."),
    ("S2", "I will send the budget to finance by Friday."),
    ("S3", "Can we talk about hiring next?"),
    ("S1", "Yes, hiring is next."),
)


def _stored_meeting() -> bytes:
    """Three speakers as the transcriber stores them, two of them renamed."""
    transcript = library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(index * 5.0),
                end_offset=duration(index * 5.0 + 4.0),
                text=text,
                speaker_id=speaker,
            )
            for index, (speaker, text) in enumerate(MEETING)
        ],
        speakers=[
            library_pb2.Speaker(id="S1", display_name="Alice"),
            library_pb2.Speaker(id="S2", display_name="Bob"),
            library_pb2.Speaker(id="S3", display_name="Speaker 3"),
        ],
        language="en",
        model="base",
        revision=1,
        duration=duration(25.0),
    )
    return serialize_transcript(transcript)


def _report_of(stored: bytes, topics: tuple[events_pb2.Topic, ...] = ()) -> ReportInput:
    return report_input(
        recording_job(
            "budget.wav", 0.0, dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC), title="Budget review"
        ),
        parse_transcript(stored),
        events_pb2.Summary(summary="The budget.", topics=topics),
    )


def _transcript_lines(pages: list[str]) -> list[str]:
    text = "\n".join(pages)
    section = text[text.rindex("Full transcript") : text.rindex("Appendix")]
    return [line.strip() for line in section.splitlines()]


def test_each_speaker_turn_starts_with_the_speakers_name_in_order(
    page_texts: PdfTextReader,
) -> None:
    pages = page_texts(render_report(_report_of(_stored_meeting())))
    lines = _transcript_lines(pages)

    names = [line for line in lines if line in ("Alice", "Bob", "Speaker 3")]
    assert names == ["Alice", "Bob", "Speaker 3", "Alice"]
    first_turn = lines.index("Alice")
    assert lines[first_turn + 1 : first_turn + 3] == [
        "[00:00] Good morning, let us start with the budget.",
        "[00:05] The numbers for the quarter are in.",
    ]
    assert lines[lines.index("Bob") + 1] == "[00:10] I will send the budget to finance by Friday."
    assert "Speakers\nAlice, Bob, Speaker 3" in pages[-1]  # the processing details


def test_a_report_with_one_speaker_names_nobody(
    make_report: ReportFactory, page_texts: PdfTextReader
) -> None:
    report = make_report(
        segments=(
            TranscriptSegment(0.0, 4.0, "Good morning everyone.", "Speaker 1"),
            TranscriptSegment(5.0, 9.0, "The roadmap slips.", "Speaker 1"),
        )
    )

    text = "\n".join(page_texts(render_report(report)))

    assert "[00:00] Good morning everyone." in text
    assert "Speaker 1" not in text


def test_a_legacy_stored_transcript_still_renders_without_names(
    page_texts: PdfTextReader,
) -> None:
    legacy = events_pb2.Transcript(
        segments=[
            events_pb2.Segment(start_seconds=5.0, end_seconds=9.0, text="Old words."),
            events_pb2.Segment(start_seconds=9.0, end_seconds=12.0, text="Still here."),
        ],
        language="en",
        model="tiny.en",
        duration_seconds=12.0,
    )
    stored = json_format.MessageToJson(legacy).encode()

    report = _report_of(stored)
    text = "\n".join(page_texts(render_report(report)))

    assert report.duration_seconds == 12.0
    assert "[00:05] Old words." in text
    assert "[00:09] Still here." in text
    assert "Speaker 1" not in text


def test_topic_link_at_a_turn_lands_on_the_page_with_that_speakers_name(
    make_report: ReportFactory,
) -> None:
    segments = tuple(
        TranscriptSegment(index * 5.0, index * 5.0 + 4.5, f"Line {index} of the plan.", name)
        for index in range(400)
        for name in (("Alice", "Bob")[(index // 3) % 2],)
    )
    # Segment 300 opens one of Alice's turns (turns are three segments long).
    report = make_report(segments=segments, topics=(Topic("Hiring plan", 1500.0, 1800.0),))
    reader = PdfReader(io.BytesIO(render_report(report)))

    page_of = {
        page.indirect_reference.idnum: number
        for number, page in enumerate(reader.pages)
        if page.indirect_reference is not None
    }
    links = [annotation.get_object() for annotation in reader.pages[2].get("/Annots", [])]
    (target,) = [
        page_of[link["/Dest"][0].idnum]
        for link in links
        if link["/Subtype"] == "/Link" and "/Dest" in link
    ]

    assert "Alice\n[25:00] Line 300 of the plan." in reader.pages[target].extract_text()


def test_no_page_ends_with_a_speakers_name(page_texts: PdfTextReader) -> None:
    report = long_report(speakers=3)

    pages = page_texts(render_report(report))

    transcript_pages = [page for page in pages if "Speaker 1" in page][:-1]
    assert len(transcript_pages) > 50
    last_lines = [page.strip().splitlines()[-1] for page in transcript_pages]
    assert [line for line in last_lines if line.startswith("Speaker ")] == []
