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


async def test_an_edited_transcript_is_in_the_new_pdf_without_transcribing_again(
    client: Client, tmp_path: Path
) -> None:
    speech = media.synthesize_speech(
        "The budget meeting decided to hire two engineers.", tmp_path / "budget.wav"
    )
    document = await client.upload(speech, language="en")
    states = await client.watch(document.id)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    before = await client.library.GetTranscript(
        library_pb2.GetTranscriptRequest(document_id=document.id), metadata=client.metadata
    )
    speaker_id = before.transcript.segments[0].speaker_id

    edited = await client.library.UpdateTranscript(
        library_pb2.UpdateTranscriptRequest(
            document_id=document.id,
            revision=before.transcript.revision,
            speakers=[library_pb2.Speaker(id=speaker_id, display_name="Priya Raman")],
            segment_edits=[
                library_pb2.TranscriptSegmentEdit(
                    index=0, text="The budget meeting decided to hire three zebras."
                )
            ],
        ),
        metadata=client.metadata,
    )
    states = await client.watch(document.id)

    assert edited.transcript.revision == before.transcript.revision + 1
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message
    assert all(s.stage != library_pb2.STAGE_TRANSCRIPTION for s in states)
    pdf = " ".join(pdf_text(await client.download(document.id, library_pb2.FILE_KIND_PDF)).split())
    assert "three zebras" in pdf
    assert "Priya Raman" in pdf
