"""The interface every summary provider implements."""

from typing import Protocol

from services.summarizer.engine.model import StructuredSummary, SummaryRequest


class SummaryProvider(Protocol):
    @property
    def name(self) -> str: ...

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        """Summarize the request; raise `ProviderError` when this provider cannot."""
        ...
