"""Rate limits for sign-in and sign-up: pure rules over a counter, no I/O.

Every attempt is *claimed* before the password is checked: the claim counts it as a failure
and decides, in the same database transaction that holds the counter's row, whether it may go
ahead. A success then undoes the claim. So parallel guesses cannot all slip through while the
first ones are still being checked (the counter is never read and written in two steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.kernel.errors import ResourceExhausted


@dataclass(frozen=True, slots=True)
class Counter:
    """The stored state of one key (`email:…`, `client:…`, `register:…`)."""

    count: int
    window_start: datetime
    last_time: datetime
    blocked_until: datetime | None = None


def fresh_counter(now: datetime) -> Counter:
    return Counter(count=0, window_start=now, last_time=now)


@dataclass(frozen=True)
class Backoff:
    """`free_failures` failures are free; after that every further attempt waits
    `base_delay * 2**k` (k = failures beyond the free ones), capped at `max_delay`, so the
    right password is never locked out for longer than the cap. A quiet `window` since the
    last attempt forgets the failures."""

    free_failures: int
    base_delay: timedelta
    max_delay: timedelta
    window: timedelta
    message: str = "Too many failed sign-in attempts."

    def delay_after(self, failures: int) -> timedelta | None:
        beyond = failures - self.free_failures
        if beyond < 0:
            return None
        # min() before the power would overflow for a long-running attack.
        doublings = min(beyond, 32)
        return min(self.max_delay, self.base_delay * (1 << doublings))

    def claim(self, counter: Counter, now: datetime) -> Counter:
        """Counts this attempt as a failure up front, or refuses it while the key waits."""
        until = counter.blocked_until
        if until is not None and now < until:
            raise rate_limited(self.message, until - now, "LOGIN_RATE_LIMITED")
        if now - counter.last_time > self.window:
            counter = fresh_counter(now)
        count = counter.count + 1
        delay = self.delay_after(count)
        return replace(
            counter,
            count=count,
            last_time=now,
            blocked_until=now + delay if delay is not None else None,
        )

    def undo_claim(self, counter: Counter) -> Counter:
        """The claimed attempt succeeded after all: it was not a failure."""
        count = max(0, counter.count - 1)
        blocked = counter.blocked_until if self.delay_after(count) is not None else None
        return replace(counter, count=count, blocked_until=blocked)


@dataclass(frozen=True)
class Quota:
    """At most `limit` claims per fixed `period` (registrations per client address)."""

    limit: int
    period: timedelta
    message: str = "Too many accounts were created from your network."
    reason: str = "REGISTRATION_RATE_LIMITED"

    def claim(self, counter: Counter, now: datetime) -> Counter:
        if now - counter.window_start >= self.period:
            counter = fresh_counter(now)
        if counter.count >= self.limit:
            raise rate_limited(self.message, counter.window_start + self.period - now, self.reason)
        return replace(counter, count=counter.count + 1, last_time=now)


def rate_limited(message: str, wait: timedelta, reason: str) -> ResourceExhausted:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return ResourceExhausted(
        f"{message} Try again in {human_duration(seconds)}.",
        reason=reason,
        metadata={"retry_after_seconds": str(seconds)},
    )


def human_duration(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class LoginThrottle:
    """Per account: backoff after a few failures, whoever sends them. Per client address:
    the same with a much larger allowance, so one address spraying guesses over many
    accounts is slowed down, while a handful of failures on other or unknown emails never
    stands in the way of a different account's correct password."""

    account: Backoff
    client: Backoff

    @property
    def horizon(self) -> timedelta:
        """Counters untouched for longer than this are meaningless and can be deleted."""
        return max(self.account.window, self.client.window)
