"""Exponential backoff, one formula for every retry in the project (bus redeliveries, process
restarts)."""

from __future__ import annotations


def doubling_delay(base_seconds: float, max_seconds: float, attempt: int) -> float:
    """`base_seconds` after the first attempt, then twice as long after each further one, never
    more than `max_seconds`."""
    return float(min(max_seconds, base_seconds * 2 ** (attempt - 1)))
