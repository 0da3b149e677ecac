"""Exponential backoff, one formula for every retry in the project (bus redeliveries, process
restarts)."""

from __future__ import annotations

from dataclasses import dataclass


def doubling_delay(base_seconds: float, max_seconds: float, attempt: int) -> float:
    """`base_seconds` after the first attempt, then twice as long after each further one, never
    more than `max_seconds`."""
    return float(min(max_seconds, base_seconds * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class DoublingBackoff:
    """1 s, 2 s, 4 s … (from `base_seconds`) up to `max_seconds`: `doubling_delay` as a value."""

    base_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, attempt: int) -> float:
        return doubling_delay(self.base_seconds, self.max_seconds, attempt)
