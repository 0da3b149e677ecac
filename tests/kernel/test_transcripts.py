"""The stored transcript, read the same way by every service: both formats, turns, clock."""

from __future__ import annotations

import pytest
from google.protobuf import json_format

from services.kernel.transcripts import (
    clock,
    duration,
    from_legacy,
    labelled_text,
    parse_transcript,
    serialize_transcript,
    turns,
)
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

LEGACY = events_pb2.Transcript(
    segments=[
        events_pb2.Segment(start_seconds=0.5, end_seconds=2.0, text="Hello."),
        events_pb2.Segment(start_seconds=2.0, end_seconds=4.25, text="Second."),
    ],
    language="en",
    model="tiny.en",
    duration_seconds=4.25,
)


def _meeting() -> library_pb2.Transcript:
    lines = [("S1", "Good morning."), ("S1", "Let us start."), ("S2", "I will send it.")]
    return library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(index * 3.0),
                end_offset=duration(index * 3.0 + 2.5),
                text=text,
                speaker_id=speaker,
            )
            for index, (speaker, text) in enumerate(lines)
        ],
        speakers=[
            library_pb2.Speaker(id="S1", display_name="Alice"),
            library_pb2.Speaker(id="S2", display_name="Speaker 2"),
        ],
    )


def test_a_stored_transcript_reads_back_unchanged() -> None:
    assert parse_transcript(serialize_transcript(_meeting())) == _meeting()


def test_a_legacy_file_reads_as_one_speaker_with_its_timings() -> None:
    transcript = parse_transcript(json_format.MessageToJson(LEGACY))

    assert transcript == from_legacy(LEGACY)
    assert [s.speaker_id for s in transcript.segments] == ["S1", "S1"]
    assert [(s.id, s.display_name) for s in transcript.speakers] == [("S1", "Speaker 1")]
    assert transcript.segments[1].end_offset.ToNanoseconds() == 4_250_000_000
    assert transcript.duration.ToNanoseconds() == 4_250_000_000
    assert (transcript.language, transcript.model) == ("en", "tiny.en")


def test_neither_format_is_a_parse_error() -> None:
    with pytest.raises(json_format.ParseError):
        parse_transcript(b'{"segments": [{"startsAt": 1}]}')


def test_turns_group_consecutive_segments_of_a_speaker_and_name_them() -> None:
    found = turns(_meeting())

    assert [(t.speaker, t.start, t.end, t.text) for t in found] == [
        ("Alice", 0.0, 5.5, "Good morning. Let us start."),
        ("Speaker 2", 6.0, 8.5, "I will send it."),
    ]
    assert labelled_text(_meeting()) == (
        "Alice: Good morning. Let us start.\nSpeaker 2: I will send it."
    )


def test_one_speaker_has_plain_text_without_labels() -> None:
    assert labelled_text(from_legacy(LEGACY)) == "Hello. Second."


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.0, "00:00"), (75.9, "01:15"), (3725.0, "1:02:05"), (-3.0, "00:00")]
)
def test_clock_reads_as_people_read_recording_times(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown
