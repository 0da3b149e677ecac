"""Trying providers in order until one produces a summary."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from services.summarizer.engine.deadline import deadline_in
from services.summarizer.engine.errors import (
    AllProvidersFailedError,
    ProviderError,
    TranslationUnavailableError,
)
from services.summarizer.engine.model import StructuredSummary, SummaryRequest
from services.summarizer.engine.provider import SummaryProvider

logger = logging.getLogger(__name__)


class ProviderChain:
    """A provider made of providers: the first success wins, failures fall through.

    With a `time_budget` (seconds), the providers before the last share that much time: once
    it is spent the last one, the quick offline fallback, writes the summary instead, so a
    slow model never holds a document up for longer than the budget.
    """

    name = "chain"

    def __init__(
        self, providers: Sequence[SummaryProvider], *, time_budget: float | None = None
    ) -> None:
        if not providers:
            raise ValueError("a provider chain needs at least one provider")
        self.providers = tuple(providers)
        self.time_budget = time_budget

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        failures: list[tuple[str, ProviderError]] = []
        deadline = None if self.time_budget is None else time.monotonic() + self.time_budget
        for position, provider in enumerate(self.providers):
            is_last = position == len(self.providers) - 1
            remaining = None if deadline is None or is_last else deadline - time.monotonic()
            try:
                if remaining is not None and remaining <= 0:
                    raise ProviderError("the time budget for language models is spent")
                with deadline_in(remaining):
                    async with asyncio.timeout(remaining):
                        summary = await provider.summarize(request)
            except TimeoutError:
                error = ProviderError(f"no summary within the {self.time_budget:g} s time budget")
                failures.append((provider.name, error))
                logger.warning("summary provider %s: %s", provider.name, error)
                continue
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


def is_permanent(error: AllProvidersFailedError) -> bool:
    """Whether retrying cannot help: the last resort refused the request itself."""
    return bool(error.failures) and isinstance(error.failures[-1][1], TranslationUnavailableError)
