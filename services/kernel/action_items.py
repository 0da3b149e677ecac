"""An action item as the report, the email and the exported files show it, whatever the summary
was written in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActionItem:
    """Something someone agreed to do: `owner` and `due` are empty when the meeting did not
    say; `due` is an ISO 8601 date (`2026-12-04`) when it was clear, else the words said."""

    text: str
    owner: str = ""
    due: str = ""
