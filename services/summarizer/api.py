"""SummarizerService servicer: the stage's own small API."""

from __future__ import annotations

from typing import Any

import grpc
import grpc.aio

from services.kernel.worker import JobCounters
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc


class SummarizerServicer(summarizer_pb2_grpc.SummarizerServiceServicer):
    def __init__(self, counters: JobCounters) -> None:
        self._counters = counters

    async def GetInfo(
        self, request: summarizer_pb2.GetInfoRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> summarizer_pb2.GetInfoResponse:
        return self._counters.info(summarizer_pb2.GetInfoResponse)
