"""NotifierService servicer: the stage's own small API."""

from __future__ import annotations

from typing import Any

import grpc
import grpc.aio

from services.kernel.worker import JobCounters
from speechflow.notifier.v1 import notifier_pb2, notifier_pb2_grpc


class NotifierServicer(notifier_pb2_grpc.NotifierServiceServicer):
    def __init__(self, counters: JobCounters) -> None:
        self._counters = counters

    async def GetInfo(
        self, request: notifier_pb2.GetInfoRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> notifier_pb2.GetInfoResponse:
        return self._counters.info(notifier_pb2.GetInfoResponse)
