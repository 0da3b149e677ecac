"""Formatting rules for times, dates and user text, and what report data accepts."""

from __future__ import annotations

import datetime as dt

import pytest

from services.renderer.report import (
    ModelsUsed,
    ReportInput,
    Topic,
    TranscriptSegment,
    report_language_for,
)
from services.renderer.report.labels import labels_for
from services.renderer.report.text import (
    escape_markup,
    format_date,
    format_duration,
    format_timestamp,
    paragraphs_markup,
)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "[00:00]"),
        (5.9, "[00:05]"),
        (65, "[01:05]"),
        (3599, "[59:59]"),
        (3600, "[1:00:00]"),
        (36125, "[10:02:05]"),
    ],
)
def test_timestamps_show_hours_only_past_an_hour(seconds: float, expected: str) -> None:
    assert format_timestamp(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(42, "42 s"), (125, "2 min 05 s"), (3725, "1 h 02 min 05 s")],
)
def test_durations_read_as_hours_minutes_seconds(seconds: float, expected: str) -> None:
    assert format_duration(seconds) == expected


def test_dates_use_the_report_language_month_names() -> None:
    created = dt.datetime(2025, 8, 1, 14, 5, tzinfo=dt.UTC)

    assert format_date(created, labels_for("en")) == "1 August 2025, 14:05 UTC"
    assert format_date(created.date(), labels_for("fr")) == "1 août 2025"


def test_markup_characters_are_escaped_and_newlines_become_breaks() -> None:
    assert escape_markup("a<b>&c\nd") == "a&lt;b&gt;&amp;c<br/>d"


def test_blank_lines_separate_paragraphs() -> None:
    assert paragraphs_markup("One.\n\n  \nTwo & three.\n") == ["One.", "Two &amp; three."]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("fr", "fr"), ("fr-CA", "fr"), ("FR_be", "fr"), ("en", "en"), ("de", "en"), ("", "en")],
)
def test_languages_without_labels_fall_back_to_english(code: str, expected: str) -> None:
    assert report_language_for(code) == expected


def test_report_rejects_an_unsupported_language() -> None:
    with pytest.raises(ValueError, match="unsupported report language"):
        ReportInput(
            title="t",
            source_file_name="f.mp3",
            created=dt.date(2025, 1, 1),
            duration_seconds=1.0,
            language="de",  # type: ignore[arg-type]
            models=ModelsUsed("tiny.en", "sumy", "lexrank"),
        )


def test_time_ranges_must_not_run_backwards() -> None:
    with pytest.raises(ValueError, match="topic time range"):
        Topic("Backwards", 10.0, 5.0)
    with pytest.raises(ValueError, match="transcript segment time range"):
        TranscriptSegment(-1.0, 2.0, "negative start")
