"""TranscriberService servicer: the stage's own small API."""

from __future__ import annotations

from typing import Any

import grpc
import grpc.aio

from services.kernel.worker import JobCounters
from speechflow.transcriber.v1 import transcriber_pb2, transcriber_pb2_grpc


class TranscriberServicer(transcriber_pb2_grpc.TranscriberServiceServicer):
    def __init__(self, counters: JobCounters) -> None:
        self._counters = counters

    async def GetInfo(
        self, request: transcriber_pb2.GetInfoRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> transcriber_pb2.GetInfoResponse:
        return self._counters.info(transcriber_pb2.GetInfoResponse)
