"""Summary jobs: stored transcript -> provider chain (cloud LLMs when keys are set, the
offline extractive summarizer otherwise) -> summary in storage -> `summary.completed`."""

from __future__ import annotations

import asyncio
import logging

from google.protobuf import json_format

from services.kernel.jetstream import EventBus, ReceivedEvent, TransientError
from services.kernel.stage import (
    event_id,
    job_context,
    summary_object_key,
    transcript_object_key,
)
from services.kernel.storage import ObjectStore
from services.kernel.transcripts import parse_transcript, seconds, speaker_names
from services.summarizer.engine import (
    ProviderChain,
    ProviderError,
    Segment,
    StructuredSummary,
    SummaryRequest,
)
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.summarizer")

COMPLETED = "speechflow.summarizer.v1.summary.completed"
LENGTHS = {
    library_pb2.SUMMARY_LENGTH_SHORT: "short",
    library_pb2.SUMMARY_LENGTH_MEDIUM: "medium",
    library_pb2.SUMMARY_LENGTH_LONG: "long",
}


def summary_language(requested: str, transcript: library_pb2.Transcript) -> str:
    for candidate in (requested, transcript.language):
        code = candidate.split("-")[0].lower()
        if code in ("en", "fr"):
            return code
    return "en"


def engine_segments(transcript: library_pb2.Transcript) -> list[Segment]:
    """The summarizer's input: timed segments, each with its speaker's display name when the
    transcript tells more than one voice apart (so "I will send it" has an owner)."""
    names = speaker_names(transcript)
    named = len({segment.speaker_id for segment in transcript.segments}) > 1
    segments = []
    for segment in transcript.segments:
        start = seconds(segment.start_offset)
        end = max(start, seconds(segment.end_offset))
        speaker = names[segment.speaker_id] if named else ""
        segments.append(Segment(start, end, segment.text, speaker))
    return segments


def summary_message(result: StructuredSummary) -> events_pb2.Summary:
    return events_pb2.Summary(
        title=result.title,
        summary=result.summary,
        key_points=result.key_points,
        decisions=result.decisions,
        action_items=[
            events_pb2.ActionItem(text=a.text, owner=a.owner or "") for a in result.action_items
        ],
        topics=[
            events_pb2.Topic(title=t.title, start_seconds=t.start, end_seconds=t.end)
            for t in result.topics
        ],
        language=result.language,
        provider=result.provider,
        model=result.model,
    )


class SummaryWorker:
    def __init__(self, *, bus: EventBus, store: ObjectStore, chain: ProviderChain) -> None:
        self._bus = bus
        self._store = store
        self._chain = chain

    async def handle(self, event: ReceivedEvent) -> None:
        job = job_context(event)
        key = summary_object_key(job)
        if await asyncio.to_thread(self._store.stat, key) is not None:
            stored = await asyncio.to_thread(self._store.get_bytes, key)
            summary = json_format.Parse(stored, events_pb2.Summary())
        else:
            transcript = await self._transcript(job)
            request = SummaryRequest(
                transcript_segments=engine_segments(transcript),
                language=summary_language(job.language, transcript),  # type: ignore[arg-type]
                length=LENGTHS.get(job.summary_length, "medium"),  # type: ignore[arg-type]
            )
            try:
                summary = summary_message(await self._chain.summarize(request))
            except ProviderError as exc:
                raise TransientError(
                    f"No summarizer could summarize the transcript: {exc}"
                ) from exc
            data = json_format.MessageToJson(summary).encode()
            await asyncio.to_thread(self._store.put_bytes, key, data, "application/json")
            log.info(
                "summarized", extra={"document_id": job.document_id, "provider": summary.provider}
            )
        await self._bus.publish(
            COMPLETED,
            events_pb2.SummaryCompleted(job=job, summary=summary, summary_key=key),
            event_id=event_id(job, "summarized"),
        )

    async def _transcript(self, job: events_pb2.JobContext) -> library_pb2.Transcript:
        key = transcript_object_key(job)
        data = await asyncio.to_thread(self._store.get_bytes, key)
        return parse_transcript(data)
