"""Progress reports move forward only and at a bounded rate."""

from __future__ import annotations

from services.transcriber.engine.progress import ThrottledProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reports_closer_together_than_the_interval_are_dropped() -> None:
    clock, seen = FakeClock(), list[float]()
    progress = ThrottledProgress(seen.append, min_interval=0.25, clock=clock)

    for step in range(10):
        clock.now = step * 0.1
        progress.report(step / 10)

    assert seen == [0.0, 0.3, 0.6, 0.9]


def test_values_never_go_backwards() -> None:
    clock, seen = FakeClock(), list[float]()
    progress = ThrottledProgress(seen.append, min_interval=0.25, clock=clock)

    for step, value in enumerate([0.2, 0.5, 0.4, 0.5, 0.7]):
        clock.now = step
        progress.report(value)

    assert seen == [0.2, 0.5, 0.7]


def test_finish_reports_one_even_when_throttled_and_only_once() -> None:
    clock, seen = FakeClock(), list[float]()
    progress = ThrottledProgress(seen.append, min_interval=10.0, clock=clock)

    progress.report(0.0)
    progress.report(0.9)
    progress.finish()
    progress.finish()

    assert seen == [0.0, 1.0]


def test_values_outside_zero_to_one_are_clamped() -> None:
    clock, seen = FakeClock(), list[float]()
    progress = ThrottledProgress(seen.append, min_interval=0.0, clock=clock)

    progress.report(-0.5)
    clock.now = 1
    progress.report(1.7)

    assert seen == [0.0, 1.0]


def test_without_a_callback_nothing_is_called() -> None:
    progress = ThrottledProgress(None)

    progress.report(0.5)
    progress.finish()
