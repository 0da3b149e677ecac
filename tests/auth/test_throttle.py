"""The throttle rules on their own: no database, no clock but the one passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.auth.throttle import Backoff, Counter, Quota, fresh_counter
from services.kernel.errors import ResourceExhausted

START = datetime(2026, 1, 1, tzinfo=UTC)
BACKOFF = Backoff(
    free_failures=3,
    base_delay=timedelta(seconds=5),
    max_delay=timedelta(seconds=60),
    window=timedelta(minutes=15),
)


def fail(times: int, counter: Counter | None = None, at: datetime = START) -> Counter:
    counter = counter or fresh_counter(at)
    for _ in range(times):
        counter = BACKOFF.claim(counter, at)
        at = counter.blocked_until or at
    return counter


def retry_after(error: pytest.ExceptionInfo[ResourceExhausted]) -> int:
    return int(error.value.metadata["retry_after_seconds"])


def test_the_free_failures_pass_then_the_wait_doubles_up_to_the_cap() -> None:
    counter = fail(2)
    assert counter.blocked_until is None
    waits = []
    for _ in range(6):
        counter = BACKOFF.claim(counter, counter.blocked_until or START)
        assert counter.blocked_until is not None
        waits.append((counter.blocked_until - counter.last_time).total_seconds())
    assert waits == [5, 10, 20, 40, 60, 60]


def test_an_attempt_during_the_wait_is_refused_and_not_counted() -> None:
    counter = fail(3)
    with pytest.raises(ResourceExhausted) as refused:
        BACKOFF.claim(counter, START + timedelta(seconds=1))
    assert retry_after(refused) == 4
    assert "Try again in 4 seconds" in refused.value.message
    assert counter.count == 3


def test_a_quiet_window_forgets_the_failures() -> None:
    counter = fail(3)
    later = START + timedelta(minutes=16)
    assert BACKOFF.claim(counter, later).count == 1


def test_undoing_a_claim_below_the_allowance_lifts_the_wait() -> None:
    counter = fail(3)
    assert counter.blocked_until is not None
    undone = BACKOFF.undo_claim(counter)
    assert undone.count == 2
    assert undone.blocked_until is None


def test_a_quota_refuses_past_its_limit_until_the_period_ends() -> None:
    quota = Quota(limit=2, period=timedelta(hours=1))
    counter = fresh_counter(START)
    for _ in range(2):
        counter = quota.claim(counter, START)
    with pytest.raises(ResourceExhausted) as refused:
        quota.claim(counter, START + timedelta(minutes=30))
    assert "Try again in 30 minutes" in refused.value.message
    assert quota.claim(counter, START + timedelta(hours=1)).count == 1
