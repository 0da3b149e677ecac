"""Dates as people read them, in the languages SpeechFlow writes to them.

The PDF report (renderer) and the emails (notifier) both print `4 December 2026` or
`4 décembre 2026`: one list of month names and one order of day, month and year serve both,
so a report and the email announcing it never write the same day two ways.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

ENGLISH_MONTHS: Final[tuple[str, ...]] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# French writes month names in lower case.
FRENCH_MONTHS: Final[tuple[str, ...]] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def written_date(day: dt.date, month_names: Sequence[str]) -> str:
    """`4 December 2026` with these month names (day, month, year in every language we write)."""
    return f"{day.day} {month_names[day.month - 1]} {day.year}"


def written_due_date(due: str, month_names: Sequence[str]) -> str:
    """An action item's due as people write it: an ISO date as `4 December 2026`, other words
    (`next week`) as they were said."""
    due = due.strip()
    try:
        day = dt.date.fromisoformat(due)
    except ValueError:
        return due
    return written_date(day, month_names)
