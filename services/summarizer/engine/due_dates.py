"""When a task is due: the words said, and the calendar date they mean when that is clear.

"By Friday" in a meeting recorded on Tuesday 1 December means Friday 4 December; "next week"
names no day, so it stays as said. Dates are resolved with `dateparser` (offline, English and
French) against the recording's date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

import dateparser

_WEEKDAY = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
)
_MONTH = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
)
_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_ORDINAL_NUMBER = (
    {word: number for number, word in enumerate(_ORDINALS, 1)}
    | {"twenty-" + word: 20 + number for number, word in enumerate(_ORDINALS[:9], 1)}
    | {"thirtieth": 30, "thirty-first": 31}
)
_ORDINAL_WORD = "|".join(sorted(_ORDINAL_NUMBER, key=len, reverse=True))
_DAY_OF_MONTH = rf"(?:\d{{1,2}}(?:st|nd|rd|th|er)?|{_ORDINAL_WORD})"
_WHEN = rf"""(?:
    (?:next\ |this\ )?(?:{_WEEKDAY})(?:\ (?:prochain|morning|afternoon|evening))?|
    tomorrow|today|tonight|this\ (?:morning|afternoon|evening)|demain|aujourd'hui|ce\ soir|
    (?:the\ )?end\ of\ (?:the\ |this\ |next\ )?(?:day|week|month|quarter|sprint)|
    la\ fin\ de\ (?:la\ )?(?:journée|semaine|mois)|
    (?:next|this)\ (?:week|month|sprint|quarter)|la\ semaine\ prochaine|le\ mois\ prochain|
    (?:{_MONTH})\ (?:the\ )?{_DAY_OF_MONTH}|(?:the\ )?{_DAY_OF_MONTH}\ (?:of\ )?(?:{_MONTH})|
    the\ {_DAY_OF_MONTH}|
    in\ (?:a|one|two|three|four|\d+)\ (?:days?|weeks?)
)"""
_DUE = re.compile(
    rf"""\b(?:by|before|until|on|due|for|d'ici|avant|pour|jusqu'à)?\ ?
    (?P<when>{_WHEN})\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Said, but naming no single day: kept as words.
_VAGUE = re.compile(
    r"^(?:(?:next|this) (?:week|month|sprint|quarter)|la semaine prochaine|le mois prochain|"
    r"(?:the )?end of (?:the |this |next )?(?:quarter|sprint))$",
    re.IGNORECASE,
)
_END_OF = re.compile(
    r"^(?:the )?end of (?:the |this )?(?P<unit>day|week|month)$|"
    r"^la fin de (?:la )?(?P<unite>journée|semaine|mois)$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TODAY = re.compile(
    r"^(?:today|tonight|this (?:morning|afternoon|evening)|aujourd'hui|ce soir)$", re.IGNORECASE
)
_WEEKDAY_INDEX = {
    name: index % 7
    for index, name in enumerate(
        [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "lundi",
            "mardi",
            "mercredi",
            "jeudi",
            "vendredi",
            "samedi",
            "dimanche",
        ]
    )
}
_WEEKDAY_WORDS = re.compile(
    rf"^(?P<which>next |this )?(?P<day>{_WEEKDAY})(?P<prochain> prochain)?"
    r"(?: morning| afternoon| evening)?$",
    re.IGNORECASE,
)
_ORDINAL_IN_TEXT = re.compile(rf"\b(?:{_ORDINAL_WORD})\b", re.IGNORECASE)
_LEAD_WORDS = re.compile(r"^(?:by|before|until|on|due|for|d'ici|avant|pour|jusqu'à)\s+", re.I)


def find_due_words(text: str) -> str:
    """The words of `text` that say when it is due ("Friday", "the end of the month"), or ""."""
    match = _DUE.search(text.replace("’", "'"))
    return match.group("when") if match else ""


def resolve_due(words: str, recording_date: date | None) -> str:
    """An ISO date when `words` name one day relative to the recording, else the words."""
    words = _LEAD_WORDS.sub("", words.strip().rstrip(".")).strip()
    if not words or _ISO_DATE.match(words):
        return words
    if recording_date is None or _VAGUE.match(words):
        return words
    if _TODAY.match(words):
        return recording_date.isoformat()
    weekday = _WEEKDAY_WORDS.match(words)
    if weekday:
        return _weekday(weekday, recording_date).isoformat()
    end_of = _END_OF.match(words)
    if end_of:
        return _end_of(end_of.group("unit") or end_of.group("unite"), recording_date).isoformat()
    parsed = dateparser.parse(
        _ORDINAL_IN_TEXT.sub(lambda m: str(_ORDINAL_NUMBER[m.group(0).lower()]), words),
        languages=["en", "fr"],
        settings={
            "RELATIVE_BASE": datetime.combine(recording_date, datetime.min.time()),
            "PREFER_DATES_FROM": "future",
        },
    )
    if not isinstance(parsed, datetime):
        return words
    due = parsed.date()
    if due < recording_date and not re.search(r"\d{4}", words):
        # "The fifteenth" said on the seventeenth means next month's; dateparser's
        # preference for future dates does not cover a bare day of the month.
        due = (
            _next_month(due)
            if not re.search(_MONTH, words, re.IGNORECASE)
            else due.replace(year=due.year + 1)
        )
    return due.isoformat()


def _weekday(match: re.Match[str], day: date) -> date:
    """ "Friday": the coming Friday (a week on when said on a Friday); "next Friday": the
    Friday of next week, as most people mean it."""
    target = _WEEKDAY_INDEX[match.group("day").lower()]
    if (match.group("which") or "").strip().lower() == "next" or match.group("prochain"):
        monday_next_week = day + timedelta(days=7 - day.weekday())
        return monday_next_week + timedelta(days=target)
    return day + timedelta(days=(target - day.weekday()) % 7 or 7)


def _next_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _end_of(unit: str, day: date) -> date:
    unit = unit.lower()
    if unit in ("day", "journée"):
        return day
    if unit in ("week", "semaine"):
        # The working week ends on Friday; said on a weekend, it means the coming one.
        return day + timedelta(days=(4 - day.weekday()) % 7)
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
