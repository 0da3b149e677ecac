"""Report data and PDF-reading helpers shared by the renderer's report tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader

from services.renderer.report import (
    ActionItem,
    ModelsUsed,
    ReportInput,
    Topic,
    TranscriptSegment,
)


@pytest.fixture
def long_transcript() -> tuple[TranscriptSegment, ...]:
    """Four hundred five-second segments: enough for about ten pages of transcript."""
    return tuple(
        TranscriptSegment(
            start_seconds=index * 5.0,
            end_seconds=index * 5.0 + 4.5,
            text=f"Speaker line {index} about the quarterly roadmap and the hiring plan.",
        )
        for index in range(400)
    )


@pytest.fixture
def make_report() -> Callable[..., ReportInput]:
    """Builds a complete English report; keyword arguments replace any field."""

    def build(**overrides: Any) -> ReportInput:
        report = ReportInput(
            title="Quarterly planning meeting",
            source_file_name="planning-2025-03-14.m4a",
            created=dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC),
            duration_seconds=95.0,
            language="en",
            models=ModelsUsed(
                transcription_model="tiny.en",
                summary_provider="sumy",
                summary_model="lexrank",
            ),
            summary="The team reviewed the roadmap.\n\nHiring is paused until June.",
            key_points=("Roadmap slips by two weeks", "Budget stays flat"),
            decisions=("Ship the beta on 2 May",),
            action_items=(
                ActionItem("Draft the beta announcement", owner="Alice"),
                ActionItem("Book the launch venue"),
            ),
            topics=(Topic("Roadmap", 0.0, 40.0), Topic("Hiring", 40.0, 95.0)),
            segments=(
                TranscriptSegment(0.0, 4.8, "Good morning everyone, let us start."),
                TranscriptSegment(5.2, 12.0, "The roadmap slips by two weeks."),
                TranscriptSegment(41.0, 60.0, "Hiring is paused until June."),
            ),
        )
        return dataclasses.replace(report, **overrides)

    return build


@pytest.fixture
def page_texts() -> Callable[[bytes], list[str]]:
    def extract(pdf: bytes) -> list[str]:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]

    return extract
