"""Trying providers in order until one produces a summary."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from services.summarizer.engine.errors import AllProvidersFailedError, ProviderError
from services.summarizer.engine.model import StructuredSummary, SummaryRequest
from services.summarizer.engine.provider import SummaryProvider

logger = logging.getLogger(__name__)


class ProviderChain:
    """A provider made of providers: the first success wins, failures fall through."""

    name = "chain"

    def __init__(self, providers: Sequence[SummaryProvider]) -> None:
        if not providers:
            raise ValueError("a provider chain needs at least one provider")
        self.providers = tuple(providers)

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        failures: list[tuple[str, ProviderError]] = []
        for provider in self.providers:
            try:
                summary = await provider.summarize(request)
            except ProviderError as error:
                logger.warning(
                    "summary provider %s failed, trying the next: %s", provider.name, error
                )
                failures.append((provider.name, error))
                continue
            logger.info(
                "summary produced by %s (model %s) after %d failed provider(s)",
                summary.provider,
                summary.model,
                len(failures),
            )
            return summary
        raise AllProvidersFailedError(failures)
