"""The product's reason to exist, through the real mesh: upload -> transcript -> summary ->
PDF -> email, with live progress; regenerate without re-transcribing; failures reported."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pypdf
import pytest

from speechflow.library.v1 import library_pb2
from speechflow.transcriber.v1 import transcriber_pb2
from tests import media
from tests.pipeline.conftest import Client

pytestmark = pytest.mark.slow

COMPLETED = library_pb2.DOCUMENT_STATUS_COMPLETED
FAILED = library_pb2.DOCUMENT_STATUS_FAILED


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_english_recording_becomes_a_summary_pdf_and_an_email(
    client: Client, english_speech: Path
) -> None:
    document = await client.upload(english_speech, language="en", title="Planning")
    states = await client.watch(document.id)
    progress = [s.progress for s in states]
    assert states[0].progress == 10
    assert states[-1].status == COMPLETED
    assert progress[-1] == 100
    assert progress == sorted(progress)
    for milestone in (50, 75):
        assert milestone in progress
    finished = (
        await client.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document.id), metadata=client.metadata
        )
    ).document
    assert (
        media.content_word_recall(
            "quarterly budget engineers hiring plan", finished.transcript_text
        )
        >= 0.6
    )
    assert finished.summary_text
    assert finished.key_points
    pdf = await client.download(document.id, library_pb2.FILE_KIND_PDF)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Contents" in text
    assert "engineers" in text.lower()
    assert "[00:0" in text  # timestamped transcript
    thumbnail = await client.download(document.id, library_pb2.FILE_KIND_THUMBNAIL)
    assert thumbnail.startswith(b"\x89PNG")
    notified = await client.notified(document.id)
    assert notified.notification_state == library_pb2.NOTIFICATION_STATE_SENT
    emails = client.emails()
    assert len(emails) == 1
    assert "ready" in str(emails[0]["Subject"]).lower()


async def test_french_recording_gets_a_french_transcript_and_report(
    client: Client, french_speech: Path
) -> None:
    document = await client.upload(french_speech, language="fr")
    states = await client.watch(document.id)
    assert states[-1].status == COMPLETED, states[-1].message
    finished = (
        await client.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document.id), metadata=client.metadata
        )
    ).document
    assert finished.detected_language == "fr"
    assert (
        media.content_word_recall("recruter ingénieurs budget trimestre", finished.transcript_text)
        >= 0.5
    )
    text = pdf_text(await client.download(document.id, library_pb2.FILE_KIND_PDF))
    assert "Table des matières" in text
    assert "Synthèse" in text


async def test_regenerate_changes_summary_and_pdf_without_transcribing_again(
    client: Client, english_speech: Path
) -> None:
    document = await client.upload(
        english_speech, language="en", summary_length=library_pb2.SUMMARY_LENGTH_LONG
    )
    assert (await client.watch(document.id))[-1].status == COMPLETED
    first_pdf = pdf_text(await client.download(document.id, library_pb2.FILE_KIND_PDF))
    before = await client.transcriber.GetInfo(
        transcriber_pb2.GetInfoRequest(), metadata=client.metadata
    )
    regenerated = await client.library.RegenerateDocument(
        library_pb2.RegenerateDocumentRequest(
            # A regenerate emails only when asked; the summary's language is tested in
            # tests/library/test_summaries.py (another language needs an LLM summarizer).
            document_id=document.id,
            summary_length=library_pb2.SUMMARY_LENGTH_SHORT,
            notify=True,
        ),
        metadata=client.metadata,
    )
    assert regenerated.document.progress == 50
    states = await client.watch(document.id)
    assert states[-1].status == COMPLETED
    assert all(s.progress >= 50 for s in states)
    after = await client.transcriber.GetInfo(
        transcriber_pb2.GetInfoRequest(), metadata=client.metadata
    )
    assert after.jobs_completed == before.jobs_completed  # no new transcription
    second_pdf = pdf_text(await client.download(document.id, library_pb2.FILE_KIND_PDF))
    assert second_pdf != first_pdf
    assert "Executive summary" in second_pdf
    assert regenerated.document.language == "en"
    assert (await client.notified(document.id)).version == 2
    assert len(client.emails()) == 2


async def test_media_that_cannot_be_decoded_fails_at_once_with_an_email(
    client: Client, english_speech: Path
) -> None:
    """FFmpeg conceals most damage, so no upload reliably passes the library's sniffing and
    then fails to decode. Instead the stored original is damaged while the transcriber is
    down (as bit rot or a bad disk would): the queued job waits, then fails permanently with
    one attempt, a clear reason and a failure email."""
    transcriber = client.mesh.services["transcriber"]
    await asyncio.to_thread(transcriber.stop)
    try:
        document = await client.upload(english_speech)
        stored = list(
            (client.mesh.data_dir / "objects" / "uploads").rglob(f"{document.id}/original.*")
        )
        assert len(stored) == 1
        stored[0].write_bytes(b"\x00garbage" * 5000)
    finally:
        await asyncio.to_thread(transcriber.start)
    states = await client.watch(document.id)
    assert states[-1].status == FAILED
    assert "could not be decoded" in states[-1].message
    notified = await client.notified(document.id)
    assert notified.notification_state == library_pb2.NOTIFICATION_STATE_SENT
    emails = client.emails()
    assert len(emails) == 1
    assert "failed" in str(emails[0]["Subject"]).lower()
