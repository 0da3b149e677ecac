"""Helpers for asyncio tasks shared by the kernel."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any


async def cancel_and_wait(tasks: Collection[asyncio.Task[Any]]) -> None:
    """Cancels until every task has ended: a cancellation that lands while an awaited
    future completes can be swallowed (asyncio.wait_for in 3.11), so one cancel() may not do."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=1)
    await asyncio.gather(*tasks, return_exceptions=True)
