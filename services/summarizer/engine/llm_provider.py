"""What the language-model providers share: model fallback and map-reduce over long input."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Sequence
from typing import Any

from services.summarizer.engine.chunking import chunk_segments, group_by_budget
from services.summarizer.engine.errors import ProviderError
from services.summarizer.engine.labels import no_speech_summary
from services.summarizer.engine.llm_output import (
    LlmSummary,
    parse_llm_summary,
    to_structured_summary,
)
from services.summarizer.engine.model import StructuredSummary, SummaryRequest
from services.summarizer.engine.prompts import (
    Prompt,
    chunk_prompt,
    merge_prompt,
    whole_transcript_prompt,
)

logger = logging.getLogger(__name__)


class LlmSummaryProvider(ABC):
    """Summarizes with the first of `models` that succeeds.

    A transcript longer than `chunk_token_budget` is summarized part by part (map), and the
    part summaries are merged (reduce), repeatedly if needed, so that no single call exceeds
    the budget whatever the recording's length.
    """

    def __init__(
        self,
        *,
        name: str,
        models: Sequence[str],
        timeout: float,
        chunk_token_budget: int,
        max_parallel_calls: int,
    ) -> None:
        if not models:
            raise ValueError(f"{name}: at least one model is required")
        self._name = name
        self.models = tuple(models)
        self.timeout = timeout
        self.chunk_token_budget = chunk_token_budget
        self.max_parallel_calls = max_parallel_calls

    @property
    def name(self) -> str:
        return self._name

    @abstractmethod
    async def _complete(self, model: str, prompt: Prompt) -> str:
        """The model's raw answer; raise `ProviderError` on any failure."""

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        if not request.has_speech:
            return no_speech_summary(request.language, self.name, self.models[0])
        errors: list[str] = []
        for model in self.models:
            try:
                output = await _ModelRun(self, model, request).summarize()
            except ProviderError as error:
                logger.warning("%s: model %s failed: %s", self.name, model, error)
                errors.append(f"{model}: {error}")
                continue
            return to_structured_summary(output, request, self.name, model)
        raise ProviderError(f"{self.name}: every model failed ({'; '.join(errors)})")

    async def ask(self, model: str, prompt: Prompt) -> LlmSummary:
        """One call to `model`, its answer validated."""
        try:
            # An overall deadline: the HTTP clients' timeouts apply to each read separately.
            async with asyncio.timeout(self.timeout):
                content = await self._complete(model, prompt)
        except TimeoutError as error:
            raise ProviderError(f"no answer within {self.timeout} s") from error
        return parse_llm_summary(content)


class _ModelRun:
    """One attempt at a summary with one model (several calls when the input is long)."""

    def __init__(self, provider: LlmSummaryProvider, model: str, request: SummaryRequest) -> None:
        self._provider = provider
        self._model = model
        self._request = request
        self._slots = asyncio.Semaphore(provider.max_parallel_calls)

    async def summarize(self) -> LlmSummary:
        request = self._request
        chunks = chunk_segments(request.transcript_segments, self._provider.chunk_token_budget)
        if len(chunks) == 1:
            return await self._ask(whole_transcript_prompt(request, chunks[0]))
        logger.info("%s: transcript split into %d parts", self._provider.name, len(chunks))
        partials = await self._all(
            [
                self._ask(chunk_prompt(request, chunk, number, len(chunks)))
                for number, chunk in enumerate(chunks, 1)
            ]
        )
        return await self._merge(partials)

    async def _merge(self, partials: list[LlmSummary]) -> LlmSummary:
        while True:
            texts = [partial.model_dump_json() for partial in partials]
            groups = group_by_budget(texts, self._provider.chunk_token_budget)
            if len(groups) == 1:
                return await self._ask(merge_prompt(self._request, texts, final=True))
            partials = await self._all(
                [
                    self._ask(merge_prompt(self._request, [texts[i] for i in group], final=False))
                    for group in groups
                ]
            )

    async def _ask(self, prompt: Prompt) -> LlmSummary:
        async with self._slots:
            return await self._provider.ask(self._model, prompt)

    @staticmethod
    async def _all(calls: Sequence[Coroutine[Any, Any, LlmSummary]]) -> list[LlmSummary]:
        """Run calls concurrently; the first failure cancels the rest."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(call) for call in calls]
        except ExceptionGroup as failures:
            first = failures.exceptions[0]
            if isinstance(first, ProviderError):
                raise first from None
            raise
        return [task.result() for task in tasks]
