"""What a completed stage leaves in the document's data (its outputs, not its state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.library import search_index
from services.library.store import DocumentRow
from services.library.summaries import apply_summary
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2


@dataclass(frozen=True)
class StageOutputs:
    """A completion event and, for a transcription, the transcript it names (read before the
    transaction, so no document stays locked during storage I/O)."""

    event: Any
    transcript: library_pb2.Transcript | None = None


async def write_outputs(session: AsyncSession, document: DocumentRow, outputs: object) -> None:
    """Keeps what a stage produced for the document's current version."""
    assert isinstance(outputs, StageOutputs)
    event = outputs.event
    if isinstance(event, events_pb2.TranscriptionCompleted):
        document.transcript_text = event.text
        document.transcript_key = event.transcript_key
        document.detected_language = event.detected_language
        if event.duration_seconds > 0:
            document.duration_seconds = event.duration_seconds
        document.speaker_count = event.speaker_count
    elif isinstance(event, events_pb2.SummaryCompleted):
        apply_summary(document, event.summary)
    elif isinstance(event, events_pb2.DocumentRendered):
        document.pdf_key = event.pdf_key
        document.thumbnail_key = event.thumbnail_key
    await search_index.apply_event(session, document, event, outputs.transcript)
