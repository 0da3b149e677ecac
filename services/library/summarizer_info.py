"""Asks the summarizer whether it can write a summary in another language than the one spoken.

Only an LLM provider can translate; the offline extractive summarizer copies sentences. The
summarizer alone knows which providers it can run (keys, a configured server, the bundled
model), so the library asks it (`SummarizerService/GetInfo`) instead of guessing from a
setting of its own that could disagree. Asked only when a request needs a translation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

import grpc
import grpc.aio

from services.kernel.errors import Unavailable
from services.kernel.tokens import principal_var
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc

log = logging.getLogger("speechflow.library.summarizer_info")

# GetInfo settings keys: `translates` ("true"/"false") when the summarizer says so itself;
# otherwise `providers` (a comma-separated chain) tells: any provider but the extractive one
# is an LLM.
TRANSLATES_KEY = "translates"
PROVIDERS_KEY = "providers"
EXTRACTIVE_PROVIDER = "extractive"


class SummaryTranslation(Protocol):
    async def available(self) -> bool: ...


def translates(settings: Mapping[str, str]) -> bool:
    if TRANSLATES_KEY in settings:
        return settings[TRANSLATES_KEY].strip().lower() == "true"
    providers = [p.strip() for p in settings.get(PROVIDERS_KEY, "").split(",") if p.strip()]
    return any(p != EXTRACTIVE_PROVIDER for p in providers)


class SummarizerTranslation:
    """SummaryTranslation from the summarizer's GetInfo, over plain gRPC."""

    def __init__(self, address: str, *, timeout_seconds: float = 3.0) -> None:
        self._address = address
        self._timeout = timeout_seconds

    async def available(self) -> bool:
        try:
            async with grpc.aio.insecure_channel(self._address) as channel:
                stub = summarizer_pb2_grpc.SummarizerServiceStub(channel)
                # On the caller's behalf: every service's GetInfo wants a signed-in user.
                info = await stub.GetInfo(
                    summarizer_pb2.GetInfoRequest(),
                    timeout=self._timeout,
                    metadata=_caller_authorization(),
                )
        except grpc.RpcError as error:
            log.warning(
                "summarizer unreachable", extra={"address": self._address, "error": str(error)}
            )
            # Unknown is not "no": the person may retry in a moment, so UNAVAILABLE.
            raise Unavailable(
                "The summarizer cannot be reached to check whether it can write the summary in "
                "another language; try again in a moment.",
                reason="SUMMARIZER_UNAVAILABLE",
            ) from error
        return translates(info.settings)


def _caller_authorization() -> tuple[tuple[str, str], ...]:
    principal = principal_var.get()
    if principal is None or not principal.access_token:
        return ()
    return (("authorization", f"Bearer {principal.access_token}"),)
