from __future__ import annotations

import pytest

from services.summarizer.engine import Segment, SummaryRequest


def test_unsupported_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="language"):
        SummaryRequest([], "de", "short")  # type: ignore[arg-type]


def test_unsupported_length_is_rejected() -> None:
    with pytest.raises(ValueError, match="length"):
        SummaryRequest([], "en", "tiny")  # type: ignore[arg-type]


def test_segment_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="time range"):
        Segment(10.0, 5.0, "hello")
