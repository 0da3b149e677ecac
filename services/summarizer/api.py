"""SummarizerService servicer: the stage's own small API."""

from __future__ import annotations

from services.kernel.info import CountersInfo
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc


class SummarizerServicer(
    CountersInfo[summarizer_pb2.GetInfoResponse], summarizer_pb2_grpc.SummarizerServiceServicer
):
    info_type = summarizer_pb2.GetInfoResponse
