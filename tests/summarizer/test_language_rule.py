"""The summary's language: as spoken unless asked; only a language model can translate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.kernel.transcripts import duration
from services.summarizer.engine import (
    AllProvidersFailedError,
    ExtractiveProvider,
    ProviderChain,
    SummaryRequest,
)
from services.summarizer.engine.chain import is_permanent
from services.summarizer.worker import summary_request
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.summarizer.transcripts import ENGLISH_MEETING


def _transcript(language: str) -> library_pb2.Transcript:
    return library_pb2.Transcript(
        language=language,
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(s.start), end_offset=duration(s.end), text=s.text
            )
            for s in ENGLISH_MEETING
        ],
    )


def _job(summary_language: str = "") -> events_pb2.JobContext:
    job = events_pb2.JobContext(
        summary_language=summary_language, summary_instructions="Lecture notes, please."
    )
    job.create_time.FromDatetime(datetime(2026, 11, 17, 9, 30, tzinfo=UTC))
    return job


def test_an_empty_summary_language_means_the_recordings() -> None:
    request = summary_request(_job(), _transcript("en"))

    assert (request.output_language, request.language) == ("en", "en")
    assert not request.needs_translation("en")
    assert request.instructions == "Lecture notes, please."
    assert request.recording_date is not None
    assert request.recording_date.isoformat() == "2026-11-17"


def test_a_summary_asked_in_french_uses_french_wording() -> None:
    request = summary_request(_job("fr-FR"), _transcript("en"))

    assert (request.output_language, request.language) == ("fr-FR", "fr")
    assert request.needs_translation("en")


@pytest.mark.asyncio
async def test_only_extractive_left_and_another_language_asked_fails_for_good() -> None:
    request = summary_request(_job("fr"), _transcript("en"))

    with pytest.raises(AllProvidersFailedError) as failure:
        await ProviderChain([ExtractiveProvider()]).summarize(request)

    assert is_permanent(failure.value)
    assert "no language model is available to translate" in str(failure.value)


@pytest.mark.asyncio
async def test_the_same_language_in_another_region_is_no_translation() -> None:
    request = SummaryRequest(
        ENGLISH_MEETING, "en", "short", summary_language="en-GB", transcript_language="en-US"
    )

    summary = await ExtractiveProvider().summarize(request)

    assert summary.language == "en-GB"
