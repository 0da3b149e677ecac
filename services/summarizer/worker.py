"""Summary jobs: stored transcript -> provider chain (a configured or cloud LLM, the local
LLM, the offline extractive summarizer last) -> summary in storage -> `summary.completed`,
with `summary.progressed` as sections of a long transcript are done."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Unpack

from google.protobuf import json_format

from services.kernel import catalogue
from services.kernel.jetstream import PermanentError, ReceivedEvent, TransientError
from services.kernel.stage import (
    StageWorker,
    StageWorkerParts,
    event_id,
    job_context,
    report_progress,
    summary_object_key,
)
from services.kernel.transcripts import seconds, speaker_names
from services.summarizer.engine import (
    AllProvidersFailedError,
    Language,
    ProviderChain,
    ProviderError,
    Segment,
    StructuredSummary,
    SummaryRequest,
)
from services.summarizer.engine.chain import is_permanent
from services.summarizer.engine.model import ProgressCallback, primary_language
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.summarizer")

START_PROGRESS, END_PROGRESS = catalogue.progress_span(catalogue.SUMMARIZER)
LENGTHS = {
    library_pb2.SUMMARY_LENGTH_SHORT: "short",
    library_pb2.SUMMARY_LENGTH_MEDIUM: "medium",
    library_pb2.SUMMARY_LENGTH_LONG: "long",
}


def label_language(summary_language: str) -> Language:
    """The language of the summary's fixed wording: English unless the summary is French."""
    return "fr" if primary_language(summary_language) == "fr" else "en"


def summary_request(
    job: events_pb2.JobContext, transcript: library_pb2.Transcript
) -> SummaryRequest:
    """What the job asks for: the summary in `summary_language` (empty: as spoken), with the
    template's instructions, due dates resolved against the day of the recording."""
    wanted = job.summary_language or transcript.language or "en"
    return SummaryRequest(
        transcript_segments=engine_segments(transcript),
        language=label_language(wanted),
        length=LENGTHS.get(job.summary_length, "medium"),  # type: ignore[arg-type]
        summary_language=wanted,
        transcript_language=transcript.language,
        instructions=job.summary_instructions,
        recording_date=job.create_time.ToDatetime().date() if job.HasField("create_time") else None,
    )


def speaker_ids_by_label(transcript: library_pb2.Transcript) -> dict[str, str]:
    return {name: speaker_id for speaker_id, name in speaker_names(transcript).items()}


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


def summary_message(
    result: StructuredSummary, speaker_ids: dict[str, str] | None = None
) -> events_pb2.Summary:
    """The event's summary; notes a reader must see ("built from 4 sections") end its text,
    and speaker name suggestions are keyed by speaker id."""
    ids = speaker_ids or {}
    text = "\n\n".join([result.summary, *result.notes]) if result.notes else result.summary
    return events_pb2.Summary(
        title=result.title,
        summary=text,
        key_points=result.key_points,
        decisions=result.decisions,
        action_items=[
            events_pb2.ActionItem(text=a.text, owner=a.owner or "", due=a.due)
            for a in result.action_items
        ],
        topics=[
            events_pb2.Topic(title=t.title, start_seconds=t.start, end_seconds=t.end)
            for t in result.topics
        ],
        language=result.language,
        provider=result.provider,
        model=result.model,
        built_from_sections=result.built_from_sections,
        speaker_names=[
            events_pb2.SpeakerName(speaker_id=ids[label], name=name)
            for label, name in result.speaker_names.items()
            if label in ids
        ],
    )


class SummaryWorker(StageWorker):
    def __init__(self, *, chain: ProviderChain, **parts: Unpack[StageWorkerParts]) -> None:
        super().__init__(**parts)
        self._chain = chain

    async def handle(self, event: ReceivedEvent) -> None:
        job = job_context(event)
        key = summary_object_key(job)
        stored = await self._stored(key)
        if stored is not None:
            summary = json_format.Parse(stored, events_pb2.Summary())
        else:
            transcript = await self._job_transcript(job)
            request = dataclasses.replace(
                summary_request(job, transcript), progress=self._progress_reporter(job)
            )
            try:
                result = await self._chain.summarize(request)
            except ProviderError as exc:
                if isinstance(exc, AllProvidersFailedError) and is_permanent(exc):
                    raise PermanentError(str(exc.failures[-1][1])) from exc
                raise TransientError(
                    f"No summarizer could summarize the transcript: {exc}"
                ) from exc
            summary = summary_message(result, speaker_ids_by_label(transcript))
            if not await self._versions.still_current(job, before="storing the summary"):
                return
            data = json_format.MessageToJson(summary).encode()
            await asyncio.to_thread(self._store.put_bytes, key, data, "application/json")
            log.info(
                "summarized", extra={"document_id": job.document_id, "provider": summary.provider}
            )
        await self._bus.publish(
            catalogue.SUMMARY_COMPLETED,
            events_pb2.SummaryCompleted(job=job, summary=summary, summary_key=key),
            event_id=event_id(job, "summarized"),
        )

    def _progress_reporter(self, job: events_pb2.JobContext) -> ProgressCallback:
        async def report(done: int, total: int) -> None:
            span = END_PROGRESS - START_PROGRESS - 1  # 75 belongs to the next stage
            progress = START_PROGRESS + max(1, span * done // max(total, 1))
            await report_progress(
                self._bus,
                catalogue.SUMMARIZER,
                job,
                progress,
                f"Summarizing (section {done} of {total})",
                what=f"summary-progress-{done}-of-{total}",
            )

        return report
