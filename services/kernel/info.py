"""`GetInfo`, the RPC every pipeline stage's own API has: its version, settings and job
counters. One implementation, mixed into each stage's generated servicer."""

from __future__ import annotations

from typing import Any, ClassVar, Generic

import grpc.aio

from services.kernel.worker import JobCounters, R


class CountersInfo(Generic[R]):
    """Answers `GetInfo` from the stage's counters; a subclass names its response type."""

    info_type: ClassVar[type[Any]]

    def __init__(self, counters: JobCounters) -> None:
        # Public: the stage runtime counts its jobs on the same counters (kernel/stage.py).
        self.counters = counters

    async def GetInfo(self, request: object, context: grpc.aio.ServicerContext[Any, Any]) -> R:
        response: R = self.counters.info(self.info_type)
        return response
