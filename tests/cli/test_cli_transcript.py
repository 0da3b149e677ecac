"""`speechflow show --transcript`: timed speaker turns people can copy, or the transcript JSON."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from services.cli.errors import ExitCode
from services.cli.output import Output
from services.cli.views import transcript_paragraphs
from services.kernel.transcripts import duration, serialize_transcript
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests import media
from tests.cli.conftest import Cli

BOX_DRAWING = re.compile("[\u2500-\u257f]")
LONG_TURN = " ".join(["the budget for the launch is tight"] * 12)


def _transcript(*lines: tuple[str, float, str]) -> library_pb2.Transcript:
    return library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(start),
                end_offset=duration(start + 2.0),
                text=text,
                speaker_id=speaker,
            )
            for speaker, start, text in lines
        ],
        speakers=[
            library_pb2.Speaker(id="S1", display_name="Alice"),
            library_pb2.Speaker(id="S2", display_name="Speaker 2"),
            library_pb2.Speaker(id="S3", display_name="Speaker 3"),
        ],
    )


MEETING = _transcript(
    ("S1", 0.0, "Good morning."),
    ("S1", 1.5, "Let us look at the budget."),
    ("S2", 5.0, "I will send the revised budget by Friday."),
    ("S3", 62.0, "Thanks."),
)


def _printed(output: Output, transcript: library_pb2.Transcript) -> str:
    output.paragraphs(transcript_paragraphs(transcript))
    console_file = output.console.file
    assert isinstance(console_file, io.StringIO)
    return console_file.getvalue()


def _output(terminal: bool) -> Output:
    output = Output(json_mode=False)
    output.console = Console(
        file=io.StringIO(), force_terminal=terminal, width=60, color_system=None
    )
    return output


def test_turns_print_one_paragraph_each_with_time_and_name() -> None:
    transcript = _transcript(
        ("S1", 12.0, "Good morning."),
        ("S1", 14.5, "Let us start."),
        ("S2", 75.0, "I will send the budget."),
        ("S1", 3725.0, "Thanks."),
    )

    printed = _printed(_output(terminal=False), transcript)

    assert printed.split("\n\n") == [
        "[00:12] Alice: Good morning. Let us start.",
        "[01:15] Speaker 2: I will send the budget.",
        "[1:02:05] Alice: Thanks.\n",
    ]


def test_one_voice_prints_timed_segments_without_names() -> None:
    transcript = _transcript(("S1", 1.0, "Hello there."), ("S1", 4.0, "Second sentence."))

    printed = _printed(_output(terminal=False), transcript)

    assert printed == "[00:01] Hello there.\n\n[00:04] Second sentence.\n"


def test_piped_output_keeps_a_long_turn_on_one_line() -> None:
    transcript = _transcript(("S1", 0.0, LONG_TURN), ("S2", 30.0, "Yes."))

    printed = _printed(_output(terminal=False), transcript)

    assert printed.splitlines()[0] == f"[00:00] Alice: {LONG_TURN}"


def test_at_a_terminal_a_long_turn_wraps_at_spaces_to_its_width() -> None:
    transcript = _transcript(("S1", 0.0, LONG_TURN), ("S2", 30.0, "Yes."))

    printed = _printed(_output(terminal=True), transcript)

    first_turn = printed.split("\n\n")[0].splitlines()
    assert len(first_turn) > 1
    assert all(len(line) <= 60 for line in first_turn)
    assert " ".join(line.rstrip() for line in first_turn) == f"[00:00] Alice: {LONG_TURN}"
    assert not BOX_DRAWING.search(printed)


def test_transcript_of_a_document_still_processing_is_a_one_line_failed_precondition(
    signed_in: Cli, mesh: Mesh, tmp_path: Path
) -> None:
    speech = media.synthesize_speech("The budget is approved.", tmp_path / "short.wav")
    transcriber = mesh.services["transcriber"]
    transcriber.stop()
    try:
        uploaded = signed_in("upload", str(speech), "--json")
        assert uploaded.code == 0, uploaded.err
        document_id = uploaded.json()["documents"][0]["id"]

        shown = signed_in("show", document_id, "--transcript")
    finally:
        transcriber.start()

    assert shown.code == ExitCode.FAILED_PRECONDITION
    assert shown.out == ""
    [line] = shown.err.strip().splitlines()
    assert "no transcript yet" in line
    assert f"speechflow watch {document_id}" in line


@pytest.mark.slow
def test_show_transcript_prints_the_stored_speaker_turns_and_json(
    signed_in: Cli, mesh: Mesh, tmp_path: Path
) -> None:
    speech = media.synthesize_speech("The budget is approved.", tmp_path / "budget.wav")
    uploaded = signed_in("upload", str(speech), "--language", "en", "--watch", "--json")
    assert uploaded.code == 0, uploaded.err
    document_id = uploaded.json()["documents"][0]["id"]
    # Who spoke is the diarizer's business (tests/pipeline); here the stored transcript is
    # replaced by a known three-voice one, as an edit would, and read back through the edge.
    [stored] = (mesh.data_dir / "objects").rglob(f"{document_id}/transcript.json")
    stored.write_bytes(serialize_transcript(MEETING))

    shown = signed_in("show", document_id, "--transcript")

    assert shown.code == 0, shown.err
    assert not BOX_DRAWING.search(shown.out)
    assert shown.out.split("\n\n") == [
        "[00:00] Alice: Good morning. Let us look at the budget.",
        "[00:05] Speaker 2: I will send the revised budget by Friday.",
        "[01:02] Speaker 3: Thanks.\n",
    ]
    as_json = signed_in("show", document_id, "--transcript", "--json")
    assert as_json.code == 0, as_json.err
    transcript = as_json.json()
    assert [s["display_name"] for s in transcript["speakers"]] == [
        "Alice",
        "Speaker 2",
        "Speaker 3",
    ]
    assert transcript["segments"][2]["start_offset"] == "5s"
    assert transcript["segments"][2]["speaker_id"] == "S2"
