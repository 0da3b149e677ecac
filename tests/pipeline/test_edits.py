"""Editing a finished document through the whole mesh: the renderer reads the edited revision,
so the new PDF carries the corrected words and the speaker's new name, with no new transcription."""

from __future__ import annotations

from pathlib import Path

import pytest

from speechflow.library.v1 import library_pb2
from tests import media
from tests.pipeline.conftest import Client
from tests.pipeline.test_end_to_end import pdf_text

pytestmark = pytest.mark.slow


DIALOGUE = [
    ("en-us", "Good morning everyone, the budget meeting decided to hire two engineers."),
    ("en+f4", "Thanks. I will send the revised budget to the finance team by Friday."),
]


async def test_an_edited_transcript_is_in_the_new_pdf_without_transcribing_again(
    client: Client, tmp_path: Path
) -> None:
    meeting = tmp_path / "meeting.wav"
    media.synthesize_dialogue(DIALOGUE, meeting, pause_seconds=0.7)
    document = await client.upload(meeting, language="en")
    states = await client.watch(document.id)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    before = (
        await client.library.GetTranscript(
            library_pb2.GetTranscriptRequest(document_id=document.id), metadata=client.metadata
        )
    ).transcript
    # The renderer names speakers only when more than one speaks (the diarizer's business is
    # tested in test_speakers.py): the last segment is the second voice's.
    assert len({segment.speaker_id for segment in before.segments}) == 2
    second = before.segments[-1].speaker_id

    edited = await client.library.UpdateTranscript(
        library_pb2.UpdateTranscriptRequest(
            document_id=document.id,
            revision=before.revision,
            speakers=[library_pb2.Speaker(id=second, display_name="Priya Raman")],
            segment_edits=[
                library_pb2.TranscriptSegmentEdit(
                    index=0, text="Good morning everyone, the meeting decided to hire three zebras."
                )
            ],
        ),
        metadata=client.metadata,
    )
    states = await client.watch(document.id)

    assert edited.transcript.revision == before.revision + 1
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    assert all(s.stage != library_pb2.STAGE_TRANSCRIPTION for s in states)
    pdf = " ".join(pdf_text(await client.download(document.id, library_pb2.FILE_KIND_PDF)).split())
    assert "three zebras" in pdf
    assert "Priya Raman" in pdf
