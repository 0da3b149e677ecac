"""Turning user text, times and dates into safe ReportLab paragraph markup."""

from __future__ import annotations

import datetime as dt
import re

from services.kernel.transcripts import clock
from services.kernel.written_dates import written_date, written_due_date
from services.renderer.report.labels import Labels

# Control characters (other than tab and newline) are not valid in PDF text and make
# ReportLab's markup parser fail; transcripts and file names can carry them.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANK_LINE = re.compile(r"\n\s*\n")


def clean_text(text: str) -> str:
    """Drop characters a PDF cannot show and normalise line endings to newlines."""
    return _CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def escape_markup(text: str) -> str:
    """Make arbitrary text safe inside a ReportLab ``Paragraph``, which parses XML-like tags."""
    escaped = clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\t", " ").replace("\n", "<br/>")


def paragraphs_markup(text: str) -> list[str]:
    """Split free text on blank lines into paragraphs of escaped markup, dropping empty ones."""
    return [escape_markup(part.strip()) for part in _BLANK_LINE.split(text) if part.strip()]


def format_timestamp(seconds: float) -> str:
    """``[mm:ss]`` below an hour, ``[h:mm:ss]`` from an hour on (the CLI's clock too)."""
    return f"[{clock(seconds)}]"


def format_time_range(start_seconds: float, end_seconds: float) -> str:
    return f"{clock(start_seconds)} \N{EN DASH} {clock(end_seconds)}"


def format_duration(seconds: float) -> str:
    """A human duration such as ``1 h 02 min 05 s``; the same notation reads well in EN and FR."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_date(created: dt.date, labels: Labels) -> str:
    """``14 March 2025, 09:30 UTC``; month names come from the report's language."""
    day = written_date(created, labels.months)
    if not isinstance(created, dt.datetime):
        return day
    zone = created.tzname()
    time_of_day = f"{created:%H:%M}" + (f" {zone}" if zone else "")
    return f"{day}, {time_of_day}"


def format_due(due: str, labels: Labels) -> str:
    """An action item's due: ISO dates in the report's words ("5 November 2026"), words said
    ("next week") as they are, the empty mark when none was given."""
    return written_due_date(due, labels.months) if due.strip() else labels.no_due
