"""TranscriberService servicer: the stage's own small API."""

from __future__ import annotations

from services.kernel.info import CountersInfo
from speechflow.transcriber.v1 import transcriber_pb2, transcriber_pb2_grpc


class TranscriberServicer(
    CountersInfo[transcriber_pb2.GetInfoResponse], transcriber_pb2_grpc.TranscriberServiceServicer
):
    info_type = transcriber_pb2.GetInfoResponse
