"""Exports: every format parses with its own reader and carries speakers, timings and summary."""

from __future__ import annotations

import html
import io
import json
from datetime import timedelta
from pathlib import Path

import docx
import grpc
import jsonschema
import pytest
import srt
import webvtt

from services.kernel.action_items import ActionItem
from services.kernel.transcripts import duration
from services.library.exports import (
    ExportFormat,
    ExportInput,
    ExportSummary,
    export,
    file_stem,
)
from speechflow.library.v1 import library_pb2
from tests.library.conftest import LibraryHarness
from tests.library.test_edits import finished_document
from tests.library.test_transcripts import two_speaker_transcript

SUMMARY = ExportSummary(
    text="The team agreed on the budget.",
    key_points=["Budget is final"],
    decisions=["Hire two engineers"],
    action_items=[ActionItem("Send the budget", owner="Speaker 1", due="2026-12-04")],
)
SOURCE = ExportInput(
    document_id="d1",
    title="Budget: Q4 / review",
    transcript=two_speaker_transcript(),
    summary=SUMMARY,
)

JSON_SCHEMA = {
    "type": "object",
    "required": ["document_id", "title", "revision", "speakers", "segments", "summary"],
    "properties": {
        "speakers": {
            "type": "array",
            "items": {"type": "object", "required": ["id", "display_name"]},
        },
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["start", "end", "speaker_id", "speaker", "text", "words"],
                "properties": {
                    "start": {"type": "number"},
                    "end": {"type": "number"},
                    "words": {
                        "type": "array",
                        "items": {"type": "object", "required": ["start", "end", "text"]},
                    },
                },
            },
        },
        "summary": {"type": "object", "required": ["text", "decisions", "action_items"]},
    },
}


def long_monologue() -> library_pb2.Transcript:
    """One 20-second segment of 40 timed words: too long for one subtitle cue."""
    words = [
        library_pb2.TranscriptWord(
            start_offset=duration(i * 0.5), end_offset=duration(i * 0.5 + 0.5), text=f" word{i}"
        )
        for i in range(40)
    ]
    return library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(0),
                end_offset=duration(20),
                text=" ".join(w.text.strip() for w in words),
                speaker_id="S1",
                words=words,
            )
        ],
        speakers=[library_pb2.Speaker(id="S1", display_name="Speaker 1")],
    )


def test_srt_cues_parse_and_carry_the_speaker_name() -> None:
    exported = export(ExportFormat.SRT, SOURCE)

    subtitles = list(srt.parse(exported.data.decode()))

    assert exported.content_type.startswith("application/x-subrip")
    assert exported.file_name == "Budget-Q4-review.srt"
    assert [s.content for s in subtitles] == [
        "Speaker 1: I will send the budget.",
        "Speaker 2: Thanks, Maria.",
    ]
    assert subtitles[1].start == timedelta(seconds=1.6)


def test_long_segments_become_cues_of_at_most_seven_seconds_and_two_lines() -> None:
    source = ExportInput(document_id="d", title="Talk", transcript=long_monologue())

    subtitles = list(srt.parse(export(ExportFormat.SRT, source).data.decode()))
    captions = webvtt.from_buffer(
        io.StringIO(export(ExportFormat.VTT, source).data.decode())
    ).captions

    assert len(subtitles) > 2
    assert all((s.end - s.start) <= timedelta(seconds=7) for s in subtitles)
    assert all(len(s.content.splitlines()) <= 2 for s in subtitles)
    assert " ".join(s.content.removeprefix("Speaker 1: ") for s in subtitles).split() == [
        f"word{i}" for i in range(40)
    ]
    assert all(c.end_in_seconds - c.start_in_seconds <= 7 for c in captions)


def test_vtt_parses_with_voice_spans_and_escaped_text() -> None:
    transcript = two_speaker_transcript()
    transcript.segments[0].text = "R&D <costs>"
    transcript.segments[0].ClearField("words")
    exported = export(ExportFormat.VTT, ExportInput("d", "Budget", transcript))

    captions = webvtt.from_buffer(io.StringIO(exported.data.decode())).captions

    assert exported.content_type.startswith("text/vtt")
    # webvtt-py hands cue text back as written; browsers decode the character references.
    assert "R&amp;D &lt;costs&gt;" in exported.data.decode()
    assert [(c.voice, html.unescape(c.text)) for c in captions] == [
        ("Speaker 1", "R&D <costs>"),
        ("Speaker 2", "Thanks, Maria."),
    ]


def test_json_holds_segments_words_speakers_and_summary() -> None:
    exported = export(ExportFormat.JSON, SOURCE)

    body = json.loads(exported.data)

    jsonschema.validate(body, JSON_SCHEMA)
    assert exported.content_type == "application/json"
    assert body["segments"][1]["speaker"] == "Speaker 2"
    assert body["segments"][1]["words"][1] == {
        "start": 2.0,
        "end": 2.4,
        "text": "Maria.",
        "probability": 0.9,
    }
    assert body["summary"]["action_items"] == [
        {"text": "Send the budget", "owner": "Speaker 1", "due": "2026-12-04"}
    ]


def test_markdown_has_summary_decisions_action_items_and_timed_turns() -> None:
    text = export(ExportFormat.MARKDOWN, SOURCE).data.decode()

    assert text.startswith("# Budget: Q4 / review\n")
    assert "## Decisions\n\n- Hire two engineers" in text
    assert "- [ ] Send the budget (Speaker 1, due 2026-12-04)" in text
    assert "**[00:01] Speaker 2:** Thanks, Maria." in text


def test_docx_reads_back_with_summary_action_items_and_transcript() -> None:
    exported = export(ExportFormat.DOCX, SOURCE)

    document = docx.Document(io.BytesIO(exported.data))
    paragraphs = [p.text for p in document.paragraphs]

    assert exported.file_name.endswith(".docx")
    assert document.core_properties.title == "Budget: Q4 / review"
    assert "The team agreed on the budget." in paragraphs
    assert "Hire two engineers" in paragraphs
    assert "Send the budget (Speaker 1, due 2026-12-04)" in paragraphs
    assert "[00:01] Speaker 2: Thanks, Maria." in paragraphs


def test_txt_lists_timed_speaker_turns() -> None:
    text = export(ExportFormat.TXT, SOURCE).data.decode()

    assert "[00:00] Speaker 1: I will send the budget." in text
    assert "[00:01] Speaker 2: Thanks, Maria." in text


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Réunion d'équipe", "Réunion-d-équipe"),
        ("../../etc/passwd", "etc-passwd"),
        ("???", "transcript"),
    ],
)
def test_file_names_keep_only_safe_characters(title: str, stem: str) -> None:
    assert file_stem(title) == stem


async def test_export_document_streams_the_file_with_its_name_and_type(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    messages = [
        m
        async for m in lib.library.ExportDocument(
            library_pb2.ExportDocumentRequest(
                document_id=document.id, format=library_pb2.EXPORT_FORMAT_DOCX
            ),
            metadata=user.metadata,
        )
    ]

    assert messages[0].content_type.endswith("wordprocessingml.document")
    assert messages[0].file_name.endswith(".docx")
    read = docx.Document(io.BytesIO(b"".join(m.data for m in messages)))
    assert any("They decided to hire." in p.text for p in read.paragraphs)


async def test_an_unknown_format_is_refused(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        async for _ in lib.library.ExportDocumentContent(
            library_pb2.ExportDocumentContentRequest(document_id=document.id, format="pdf"),
            metadata=user.metadata,
        ):
            pass

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "use txt, srt, vtt, json, md or docx" in (raised.value.details() or "")
