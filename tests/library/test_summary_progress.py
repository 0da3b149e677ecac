"""The summarizer's progress (sections done) reaches the document between 50 and 75 %."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.kernel.catalogue import SUMMARY_PROGRESSED, TRANSCRIPTION_COMPLETED
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import job_of, upload


async def document_of(lib: LibraryHarness, user: User, document_id: str) -> library_pb2.Document:
    response = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
    )
    return response.document


async def test_summary_progress_moves_the_document_forward(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    await lib.bus.publish(
        TRANSCRIPTION_COMPLETED,
        events_pb2.TranscriptionCompleted(
            job=job,
            transcript_key=f"transcripts/{job.owner_id}/{job.document_id}/transcript.json",
            text="words",
        ),
        event_id=f"{document.id}-transcribed",
    )
    # As in the pipeline: the summarizer only starts once transcription is done (progress of a
    # stage the document has not reached is dropped, being best effort).
    current = await document_of(lib, user, document.id)
    for _ in range(200):
        if current.stage == library_pb2.STAGE_SUMMARIZATION:
            break
        await asyncio.sleep(0.05)
        current = await document_of(lib, user, document.id)
    await lib.bus.publish(
        SUMMARY_PROGRESSED,
        events_pb2.ProgressReported(
            job=job,
            stage=library_pb2.STAGE_SUMMARIZATION,
            progress=62,
            message="Summarizing (section 2 of 4)",
        ),
        event_id=f"{document.id}-summary-progress",
    )

    current = await document_of(lib, user, document.id)
    for _ in range(200):
        if current.progress == 62:
            break
        await asyncio.sleep(0.05)
        current = await document_of(lib, user, document.id)

    assert (current.stage, current.progress) == (library_pb2.STAGE_SUMMARIZATION, 62)
