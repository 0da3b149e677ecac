"""UpdateTranscript: renames and segment edits saved as a new revision, read by GetTranscript
and the exports, and a re-render of the PDF queued at the rendering stage (no transcription)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format

from services.kernel.catalogue import (
    DOCUMENT_RENDERED,
    NOTIFICATION_SENT,
    RENDER_REQUESTED,
    SUMMARY_REQUESTED,
)
from services.kernel.transcripts import duration, seconds, serialize_transcript
from services.library.transcript_edits import retimed_words
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import complete_pipeline, job_of, upload
from tests.library.test_transcripts import get_transcript, two_speaker_transcript

SUMMARY = events_pb2.Summary(summary="They agreed on the budget.", key_points=["Budget sent"])


async def finished_document(
    lib: LibraryHarness, user: User, speech_wav: Path
) -> library_pb2.Document:
    """A COMPLETED document with the two-speaker transcript and a stored summary."""
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    folder = f"transcripts/{job.owner_id}/{job.document_id}"
    await asyncio.to_thread(
        lib.store.put_bytes,
        f"{folder}/transcript.json",
        serialize_transcript(two_speaker_transcript()),
        "application/json",
    )
    await asyncio.to_thread(
        lib.store.put_bytes,
        f"{folder}/summary-v1.json",
        json_format.MessageToJson(SUMMARY).encode(),
        "application/json",
    )
    await complete_pipeline(lib.bus, job, tag=document.id)
    return await until_status(lib, user, document.id, library_pb2.DOCUMENT_STATUS_COMPLETED)


async def until_status(
    lib: LibraryHarness, user: User, document_id: str, status: int
) -> library_pb2.Document:
    for _ in range(200):
        current = (
            await lib.library.GetDocument(
                library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
            )
        ).document
        if current.status == status:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"document {document_id} never reached status {status}")


async def update(
    lib: LibraryHarness, user: User, document_id: str, **fields: object
) -> library_pb2.Transcript:
    response = await lib.library.UpdateTranscript(
        library_pb2.UpdateTranscriptRequest(document_id=document_id, **fields),  # type: ignore[arg-type]
        metadata=user.metadata,
    )
    return response.transcript


async def export_text(lib: LibraryHarness, user: User, document_id: str, kind: str) -> str:
    chunks = [
        message.data
        async for message in lib.library.ExportDocumentContent(
            library_pb2.ExportDocumentContentRequest(document_id=document_id, format=kind),
            metadata=user.metadata,
        )
    ]
    return b"".join(chunks).decode()


async def requested_stages(lib: LibraryHarness, document_id: str, version: int) -> list[str]:
    """Subjects of the stage requests the library published for one document version."""
    subscription = await lib.bus.js.subscribe(
        "speechflow.library.v1.*.requested", ordered_consumer=True
    )
    found: list[str] = []
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=1)
            except TimeoutError:
                break
            job = events_pb2.StageRequested.FromString(message.data).job
            if job.document_id == document_id and job.version == version:
                found.append(message.subject)
    finally:
        await subscription.unsubscribe()
    return found


async def test_a_renamed_speaker_shows_in_the_transcript_and_the_srt_export(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    edited = await update(
        lib,
        user,
        document.id,
        speakers=[library_pb2.Speaker(id="S2", display_name="Maria Lopez")],
        revision=1,
    )

    assert edited.revision == 2
    transcript = await get_transcript(lib, user, document.id)
    assert transcript.revision == 2
    assert [(s.id, s.display_name) for s in transcript.speakers] == [
        ("S1", "Speaker 1"),
        ("S2", "Maria Lopez"),
    ]
    assert "Maria Lopez: Thanks, Maria." in await export_text(lib, user, document.id, "srt")


async def test_an_edited_segment_is_in_the_txt_export_and_keeps_its_timings(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    edited = await update(
        lib,
        user,
        document.id,
        segment_edits=[library_pb2.TranscriptSegmentEdit(index=1, text="Thanks, Marianne.")],
    )

    segment = edited.segments[1]
    assert (seconds(segment.start_offset), seconds(segment.end_offset)) == (1.6, 2.4)
    assert [(w.text, seconds(w.start_offset)) for w in segment.words] == [
        (" Thanks,", 1.6),
        (" Marianne.", 2.0),
    ]
    text = await export_text(lib, user, document.id, "txt")
    assert "Speaker 2: Thanks, Marianne." in text
    assert "Maria." not in text


async def test_an_edit_on_a_stale_revision_is_aborted(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)
    await update(lib, user, document.id, speakers=[library_pb2.Speaker(id="S1", display_name="A")])

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await update(
            lib,
            user,
            document.id,
            speakers=[library_pb2.Speaker(id="S1", display_name="B")],
            revision=1,
        )

    assert raised.value.code() == grpc.StatusCode.ABORTED
    assert "someone saved another edit first; reload" in (raised.value.details() or "").lower()


async def test_an_edit_queues_a_re_render_without_transcribing_and_completes(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    await update(lib, user, document.id, speakers=[library_pb2.Speaker(id="S1", display_name="Jo")])

    current = (
        await lib.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document.id), metadata=user.metadata
        )
    ).document
    assert current.status == library_pb2.DOCUMENT_STATUS_PROCESSING
    assert current.stage == library_pb2.STAGE_RENDERING
    assert await requested_stages(lib, document.id, 2) == [RENDER_REQUESTED]
    job = await job_of(lib, document.id)
    assert (job.version, job.transcript_revision) == (2, 2)
    folder = f"transcripts/{job.owner_id}/{job.document_id}"
    stored = await asyncio.to_thread(lib.store.get_bytes, f"{folder}/summary-v2.json")
    assert json_format.Parse(stored, events_pb2.Summary()) == SUMMARY
    # The renderer and notifier finish the version: the document completes without a summary run.
    await lib.bus.publish(
        DOCUMENT_RENDERED,
        events_pb2.DocumentRendered(
            job=job, pdf_key=f"pdfs/{job.owner_id}/{job.document_id}/d.pdf"
        ),
        event_id=f"{document.id}-v2-rendered",
    )
    await lib.bus.publish(
        NOTIFICATION_SENT,
        events_pb2.NotificationSent(job=job, completed=True),
        event_id=f"{document.id}-v2-notified",
    )
    await until_status(lib, user, document.id, library_pb2.DOCUMENT_STATUS_COMPLETED)


async def test_resummarize_restarts_at_summarization_from_the_edited_revision(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    await update(
        lib,
        user,
        document.id,
        segment_edits=[library_pb2.TranscriptSegmentEdit(index=0, text="I will send the plan.")],
        resummarize=True,
    )

    assert await requested_stages(lib, document.id, 2) == [SUMMARY_REQUESTED]
    assert (await job_of(lib, document.id)).transcript_revision == 2


async def test_a_new_speaker_id_adds_a_speaker_with_a_default_name(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    edited = await update(
        lib,
        user,
        document.id,
        segment_edits=[library_pb2.TranscriptSegmentEdit(index=1, speaker_id="S9")],
    )

    assert edited.segments[1].speaker_id == "S9"
    assert ("S9", "Speaker 3") in [(s.id, s.display_name) for s in edited.speakers]


async def test_an_edit_that_changes_nothing_makes_no_revision(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    edited = await update(
        lib, user, document.id, speakers=[library_pb2.Speaker(id="S1", display_name="Speaker 1")]
    )

    assert edited.revision == 1
    assert await requested_stages(lib, document.id, 2) == []


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"segment_edits": [library_pb2.TranscriptSegmentEdit(index=5, text="x")]}, "0 to 1"),
        ({"segment_edits": [library_pb2.TranscriptSegmentEdit(index=0, text="   ")]}, "blank"),
        ({"segment_edits": [library_pb2.TranscriptSegmentEdit(index=0, text="w " * 3000)]}, "5000"),
        ({"speakers": [library_pb2.Speaker(id="S1", display_name=" ")]}, "cannot be empty"),
        ({"speakers": [library_pb2.Speaker(id="S7", display_name="Al")]}, "no speaker"),
        ({"speakers": [library_pb2.Speaker(id="a/b", display_name="Al")]}, "not valid"),
    ],
)
async def test_bad_edits_are_refused_and_change_nothing(
    lib: LibraryHarness, speech_wav: Path, fields: dict[str, object], words: str
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await update(lib, user, document.id, **fields)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in (raised.value.details() or "")
    transcript = await get_transcript(lib, user, document.id)
    assert transcript.revision == 1


def test_changed_words_are_timed_in_the_gap_their_neighbours_leave() -> None:
    def word(start: float, end: float, text: str) -> library_pb2.TranscriptWord:
        return library_pb2.TranscriptWord(
            start_offset=duration(start), end_offset=duration(end), text=text, probability=0.9
        )

    segment = library_pb2.TranscriptSegment(
        start_offset=duration(10.0),
        end_offset=duration(14.0),
        text="we meet on monday",
        words=[
            word(10, 11, " we"),
            word(11, 12, " meet"),
            word(12, 13, " on"),
            word(13, 14, " monday"),
        ],
    )

    words = retimed_words(segment, "We meet in the afternoon, Monday")

    assert [(w.text, seconds(w.start_offset), seconds(w.end_offset)) for w in words] == [
        (" We", 10.0, 11.0),
        (" meet", 11.0, 12.0),
        (" in", 12.0, 12.333),
        (" the", 12.333, 12.667),
        (" afternoon,", 12.667, 13.0),
        (" Monday", 13.0, 14.0),
    ]
    assert words[2].probability == 0.0


async def test_two_saves_on_the_same_revision_one_wins_and_its_file_is_the_current_one(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await finished_document(lib, user, speech_wav)

    outcomes = await asyncio.gather(
        *(
            update(
                lib,
                user,
                document.id,
                speakers=[library_pb2.Speaker(id="S1", display_name=name)],
                revision=1,
            )
            for name in ("Ana", "Bea")
        ),
        return_exceptions=True,
    )

    saved = [o for o in outcomes if isinstance(o, library_pb2.Transcript)]
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert len(saved) == 1
    assert [e.code() for e in refused] == [grpc.StatusCode.ABORTED]
    current = await get_transcript(lib, user, document.id)
    assert current == saved[0]
