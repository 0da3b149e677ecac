from __future__ import annotations

from datetime import date

import pytest

from services.summarizer.engine.due_dates import find_due_words, resolve_due

TUESDAY = date(2026, 11, 17)


@pytest.mark.parametrize(
    ("said", "due"),
    [
        ("I will send the offer letter on Thursday.", "2026-11-19"),
        ("I'll tell them by Friday.", "2026-11-20"),
        ("I can do that tomorrow.", "2026-11-18"),
        ("Yes, I can do it this afternoon.", "2026-11-17"),
        ("I'll write the exercise before next Wednesday.", "2026-11-25"),
        ("I will call them by the end of the week.", "2026-11-20"),
        ("The migration plan by the end of the month.", "2026-11-30"),
        ("I can collect three quotes before the fifteenth.", "2026-12-15"),
        ("Send it by December 3rd.", "2026-12-03"),
        ("Je l'envoie d'ici vendredi.", "2026-11-20"),
        ("I'll draft it next week.", "next week"),
        ("The report is due Tuesday.", "2026-11-24"),
    ],
)
def test_a_day_said_in_the_meeting_becomes_its_date(said: str, due: str) -> None:
    assert resolve_due(find_due_words(said), TUESDAY) == due


def test_without_the_recording_date_the_words_said_are_kept() -> None:
    assert resolve_due("Friday", None) == "Friday"


def test_a_sentence_naming_no_time_has_no_due_date() -> None:
    assert find_due_words("I will renegotiate the agency contract.") == ""
