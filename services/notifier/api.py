"""NotifierService servicer: the stage's own small API and the caller's webhooks."""

from __future__ import annotations

from services.kernel.info import CountersInfo
from services.kernel.worker import JobCounters
from services.notifier.webhooks.book import WebhookBook
from services.notifier.webhooks.rpc import WebhookRpcs
from speechflow.notifier.v1 import notifier_pb2, notifier_pb2_grpc


class NotifierServicer(
    WebhookRpcs,
    CountersInfo[notifier_pb2.GetInfoResponse],
    notifier_pb2_grpc.NotifierServiceServicer,
):
    info_type = notifier_pb2.GetInfoResponse

    def __init__(self, counters: JobCounters, book: WebhookBook) -> None:
        CountersInfo.__init__(self, counters)
        WebhookRpcs.__init__(self, book)
