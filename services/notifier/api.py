"""NotifierService servicer: the stage's own small API."""

from __future__ import annotations

from services.kernel.info import CountersInfo
from speechflow.notifier.v1 import notifier_pb2, notifier_pb2_grpc


class NotifierServicer(
    CountersInfo[notifier_pb2.GetInfoResponse], notifier_pb2_grpc.NotifierServiceServicer
):
    info_type = notifier_pb2.GetInfoResponse
