"""The pipeline's inputs to a report, as the renderer's worker receives them."""

from __future__ import annotations

import datetime as dt

from services.kernel.protos import timestamp
from services.kernel.transcripts import duration
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2


def recording_job(
    file_name: str,
    seconds: float,
    created: dt.datetime,
    *,
    title: str = "",
    language: str = "en",
    summary_language: str = "",
) -> events_pb2.JobContext:
    """The job of a recording `seconds` long, uploaded at `created`."""
    return events_pb2.JobContext(
        title=title,
        original_file_name=file_name,
        language=language,
        summary_language=summary_language,
        duration_seconds=seconds,
        create_time=timestamp(created),
    )


def one_line_transcript(text: str, seconds: float) -> library_pb2.Transcript:
    """An English recording `seconds` long in which one sentence is said."""
    return library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(0.0), end_offset=duration(seconds), text=text
            )
        ],
        language="en",
        duration=duration(seconds),
    )
