"""Event/proto messages -> the report engine's input."""

from __future__ import annotations

import datetime as dt

from services.kernel.transcripts import seconds, speaker_names
from services.renderer.report import (
    ActionItem,
    ModelsUsed,
    ReportInput,
    Topic,
    TranscriptSegment,
    report_language_for,
)
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2


def report_input(
    job: events_pb2.JobContext, transcript: library_pb2.Transcript, summary: events_pb2.Summary
) -> ReportInput:
    """The job's `language` is the recording's (as asked at upload, else as detected: the
    transcript says); its `summary_language` what the summary was asked in."""
    spoken = job.language or transcript.language
    return ReportInput(
        title=job.title or summary.title or job.original_file_name or "Recording",
        source_file_name=job.original_file_name,
        created=job.create_time.ToDatetime(tzinfo=dt.UTC),
        duration_seconds=max(0.0, job.duration_seconds or seconds(transcript.duration)),
        # Headings follow the language the summary is written in; the cover names the one
        # spoken (they differ when the summary was written in another language).
        language=report_language_for(summary.language or job.summary_language or spoken),
        spoken_language=spoken,
        models=ModelsUsed(
            transcription_model=transcript.model,
            summary_provider=summary.provider,
            summary_model=summary.model,
        ),
        summary=summary.summary,
        key_points=tuple(summary.key_points),
        decisions=tuple(summary.decisions),
        action_items=tuple(ActionItem(a.text, a.owner, a.due) for a in summary.action_items),
        topics=tuple(
            Topic(t.title, t.start_seconds, max(t.start_seconds, t.end_seconds))
            for t in summary.topics
        ),
        segments=_segments(transcript),
    )


def _segments(transcript: library_pb2.Transcript) -> tuple[TranscriptSegment, ...]:
    names = speaker_names(transcript)
    segments = []
    for segment in transcript.segments:
        start = seconds(segment.start_offset)
        end = max(start, seconds(segment.end_offset))
        segments.append(TranscriptSegment(start, end, segment.text, names[segment.speaker_id]))
    return tuple(segments)
