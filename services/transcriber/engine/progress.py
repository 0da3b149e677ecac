"""Progress reports that only move forward and arrive at a bounded rate."""

from __future__ import annotations

import time
from collections.abc import Callable

from services.transcriber.engine.transcript import ProgressCallback


class ThrottledProgress:
    """Forwards fractions in [0, 1] that increase, at most once per `min_interval` seconds.

    `finish()` always reports 1.0 so a listener sees the end even when it was throttled.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        min_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._min_interval = min_interval
        self._clock = clock
        self._last_value = -1.0
        self._last_time = float("-inf")

    def report(self, fraction: float) -> None:
        value = min(max(fraction, 0.0), 1.0)
        now = self._clock()
        if value <= self._last_value or now - self._last_time < self._min_interval:
            return
        self._emit(value, now)

    def finish(self) -> None:
        if self._last_value < 1.0:
            self._emit(1.0, self._clock())

    def _emit(self, value: float, now: float) -> None:
        self._last_value, self._last_time = value, now
        if self._callback is not None:
            self._callback(value)
