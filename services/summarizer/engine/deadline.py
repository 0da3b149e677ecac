"""How long the summary of the request being handled may still take.

The provider chain's time budget must bound work it cannot cancel: the local model's C++
generation runs in a thread until it stops by itself. So the deadline travels with the
request (a context variable, which asyncio tasks and `asyncio.to_thread` inherit), and the
local model is told how many milliseconds it may generate for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("summary_deadline", default=None)


@contextmanager
def deadline_in(seconds: float | None) -> Iterator[None]:
    """Within this block the summary must be done in `seconds` (None: no limit of its own);
    an enclosing, earlier deadline still applies."""
    if seconds is None:
        yield
        return
    ends = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(ends if current is None else min(current, ends))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float | None:
    """Seconds until the nearest deadline (negative once it has passed), None without one."""
    ends = _deadline.get()
    return None if ends is None else ends - time.monotonic()
