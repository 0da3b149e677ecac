"""GetTranscript, upload transcription options and the per-user vocabulary."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.field_mask_pb2 import FieldMask

from services.kernel.catalogue import TRANSCRIPTION_COMPLETED
from services.kernel.transcripts import duration, serialize_transcript
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import job_of, upload


def two_speaker_transcript() -> library_pb2.Transcript:
    def word(start: float, end: float, text: str) -> library_pb2.TranscriptWord:
        return library_pb2.TranscriptWord(
            start_offset=duration(start), end_offset=duration(end), text=text, probability=0.9
        )

    return library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(0.0),
                end_offset=duration(1.2),
                text="I will send the budget.",
                speaker_id="S1",
                words=[word(0.0, 0.3, " I"), word(0.3, 1.2, " will send the budget.")],
            ),
            library_pb2.TranscriptSegment(
                start_offset=duration(1.6),
                end_offset=duration(2.4),
                text="Thanks, Maria.",
                speaker_id="S2",
                words=[word(1.6, 2.0, " Thanks,"), word(2.0, 2.4, " Maria.")],
            ),
        ],
        speakers=[
            library_pb2.Speaker(id="S1", display_name="Speaker 1"),
            library_pb2.Speaker(id="S2", display_name="Speaker 2"),
        ],
        language="en",
        model="tiny.en",
        revision=1,
        duration=duration(2.5),
    )


async def transcribed(
    lib: LibraryHarness, user: User, speech_wav: Path, stored: bytes
) -> library_pb2.Document:
    """A document whose transcription finished with `stored` as its transcript file."""
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    key = f"transcripts/{job.owner_id}/{job.document_id}/transcript.json"
    await asyncio.to_thread(lib.store.put_bytes, key, stored, "application/json")
    await lib.bus.publish(
        TRANSCRIPTION_COMPLETED,
        events_pb2.TranscriptionCompleted(
            job=job, transcript_key=key, text="words", detected_language="en", model="tiny.en"
        ),
        event_id=f"{document.id}-transcribed",
    )
    for _ in range(200):
        current = await lib.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document.id), metadata=user.metadata
        )
        if current.document.transcript_text:
            return current.document
        await asyncio.sleep(0.05)
    raise AssertionError("the library never applied transcription.completed")


async def get_transcript(
    lib: LibraryHarness, user: User, document_id: str
) -> library_pb2.Transcript:
    response = await lib.library.GetTranscript(
        library_pb2.GetTranscriptRequest(document_id=document_id), metadata=user.metadata
    )
    return response.transcript


async def test_the_transcript_comes_back_with_speakers_segments_and_word_timings(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    stored = two_speaker_transcript()
    document = await transcribed(lib, user, speech_wav, serialize_transcript(stored))

    transcript = await get_transcript(lib, user, document.id)

    assert transcript == stored
    assert [s.speaker_id for s in transcript.segments] == ["S1", "S2"]
    assert transcript.segments[1].words[1].start_offset.ToNanoseconds() == 2_000_000_000


async def test_a_transcript_stored_before_speakers_existed_reads_as_one_speaker(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    legacy = events_pb2.Transcript(
        segments=[events_pb2.Segment(start_seconds=0.5, end_seconds=2.0, text="Hello there.")],
        text="Hello there.",
        language="en",
        duration_seconds=2.5,
        model="tiny.en",
    )
    document = await transcribed(lib, user, speech_wav, json_format.MessageToJson(legacy).encode())

    transcript = await get_transcript(lib, user, document.id)

    assert [(s.text, s.speaker_id) for s in transcript.segments] == [("Hello there.", "S1")]
    assert [(s.id, s.display_name) for s in transcript.speakers] == [("S1", "Speaker 1")]
    assert transcript.segments[0].start_offset.ToMilliseconds() == 500


async def test_before_transcription_finishes_the_transcript_is_a_failed_precondition(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await get_transcript(lib, user, document.id)

    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not transcribed yet" in (raised.value.details() or "")


async def test_another_users_transcript_is_not_found(lib: LibraryHarness, speech_wav: Path) -> None:
    owner, stranger = lib.user(), lib.user()
    document = await transcribed(
        lib, owner, speech_wav, serialize_transcript(two_speaker_transcript())
    )

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await get_transcript(lib, stranger, document.id)

    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def test_hotwords_speaker_bounds_and_the_users_vocabulary_reach_the_transcriber(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await lib.library.UpdatePreferences(
        library_pb2.UpdatePreferencesRequest(
            preferences=library_pb2.Preferences(vocabulary=["SpeechFlow", "  Priya  ", "kubectl"])
        ),
        metadata=user.metadata,
    )

    document = await upload(
        lib, user, speech_wav, hotwords="Kubectl,  Zanzibar", min_speakers=2, max_speakers=3
    )
    job = await job_of(lib, document.id)

    assert job.hotwords == "Kubectl, Zanzibar, SpeechFlow, Priya"
    assert (job.min_speakers, job.max_speakers) == (2, 3)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"min_speakers": 4, "max_speakers": 2}, "min_speakers cannot be larger"),
        ({"max_speakers": 99}, "between 0 (automatic) and 20"),
        ({"min_speakers": -1}, "between 0 (automatic) and 20"),
        ({"hotwords": "word " * 200}, "Keep hotwords under 500 characters"),
    ],
)
async def test_bad_transcription_options_are_refused_and_leave_nothing(
    lib: LibraryHarness, speech_wav: Path, fields: dict[str, Any], words: str
) -> None:
    user = lib.user()

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await upload(lib, user, speech_wav, **fields)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in (raised.value.details() or "")
    assert lib.stored_keys(user) == []
    listed = await lib.library.ListDocuments(
        library_pb2.ListDocumentsRequest(), metadata=user.metadata
    )
    assert list(listed.documents) == []


async def test_preferences_start_empty_and_keep_a_cleaned_vocabulary(lib: LibraryHarness) -> None:
    user = lib.user()
    empty = await lib.library.GetPreferences(
        library_pb2.GetPreferencesRequest(), metadata=user.metadata
    )

    await lib.library.UpdatePreferences(
        library_pb2.UpdatePreferencesRequest(
            preferences=library_pb2.Preferences(vocabulary=["Acme  Corp", "acme corp", "", "Lea"]),
            update_mask=FieldMask(paths=["vocabulary"]),
        ),
        metadata=user.metadata,
    )
    stored = await lib.library.GetPreferences(
        library_pb2.GetPreferencesRequest(), metadata=user.metadata
    )
    other = await lib.library.GetPreferences(
        library_pb2.GetPreferencesRequest(), metadata=lib.user().metadata
    )

    assert list(empty.preferences.vocabulary) == []
    assert list(stored.preferences.vocabulary) == ["Acme Corp", "Lea"]
    assert list(other.preferences.vocabulary) == []


async def test_an_unknown_preferences_mask_path_is_invalid(lib: LibraryHarness) -> None:
    user = lib.user()

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await lib.library.UpdatePreferences(
            library_pb2.UpdatePreferencesRequest(
                preferences=library_pb2.Preferences(), update_mask=FieldMask(paths=["theme"])
            ),
            metadata=user.metadata,
        )

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
