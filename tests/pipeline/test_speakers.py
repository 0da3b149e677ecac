"""Who spoke when, through the whole mesh: a two-voice meeting comes back as two speakers
whose turns are in the order they were said, in the API, the PDF and the summary's input."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kernel.transcripts import turns
from speechflow.library.v1 import library_pb2
from tests import media
from tests.pipeline.conftest import Client
from tests.pipeline.test_end_to_end import pdf_text

pytestmark = pytest.mark.slow

DIALOGUE = [
    ("en-us", "Good morning everyone, let us look at the budget for the launch."),
    ("en+f4", "Thanks. I will send the revised budget to the finance team by Friday."),
    ("en-us", "Great. What about the website? Is it ready for the customers?"),
    ("en+f4", "Not yet. The designers need two more weeks to finish the pages."),
    ("en-us", "Then we move the launch to March and tell the sales team today."),
    ("en+f4", "Agreed. I will write to them after this meeting."),
]


@pytest.fixture(scope="module")
def meeting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dialogue") / "meeting.wav"
    media.synthesize_dialogue(DIALOGUE, path, pause_seconds=0.7)
    return path


async def test_a_two_voice_meeting_comes_back_as_two_speakers_in_turn_order(
    client: Client, meeting: Path
) -> None:
    document = await client.upload(meeting, language="en", hotwords="budget, launch")
    states = await client.watch(document.id)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message

    transcript = (
        await client.library.GetTranscript(
            library_pb2.GetTranscriptRequest(document_id=document.id), metadata=client.metadata
        )
    ).transcript

    assert [speaker.display_name for speaker in transcript.speakers] == ["Speaker 1", "Speaker 2"]
    spoken = turns(transcript)
    assert [turn.speaker_id for turn in spoken] == ["S1", "S2", "S1", "S2", "S1", "S2"]
    for said, turn in zip(DIALOGUE, spoken, strict=True):
        assert media.content_word_recall(said[1], turn.text) >= 0.6, (said, turn.text)
    words = [word for segment in transcript.segments for word in segment.words]
    assert words, "every word is timed"
    starts = [word.start_offset.ToNanoseconds() for word in words]
    assert starts == sorted(starts)
    pdf = pdf_text(await client.download(document.id, library_pb2.FILE_KIND_PDF))
    assert "Speaker 1" in pdf
    assert "Speaker 2" in pdf
