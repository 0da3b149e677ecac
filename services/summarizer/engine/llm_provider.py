"""What the language-model providers share: model fallback, one retry on an invalid answer,
and map-reduce over input longer than the model's context."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Sequence
from typing import Any

from services.summarizer.engine.chunking import chunk_segments, estimate_tokens, group_by_budget
from services.summarizer.engine.errors import (
    ContextOverflowError,
    InvalidOutputError,
    ProviderError,
)
from services.summarizer.engine.grounding import to_structured_summary
from services.summarizer.engine.labels import no_speech_summary
from services.summarizer.engine.llm_output import LlmSummary, parse_llm_summary
from services.summarizer.engine.model import StructuredSummary, SummaryRequest
from services.summarizer.engine.prompts import (
    Prompt,
    chunk_prompt,
    merge_prompt,
    whole_transcript_prompt,
)

logger = logging.getLogger(__name__)

# Below this a transcript section holds too little talk to summarize meaningfully.
MIN_CHUNK_TOKEN_BUDGET = 256


class LlmSummaryProvider(ABC):
    """Summarizes with the first of `models` that succeeds.

    A transcript longer than `chunk_token_budget` is summarized part by part (map), and the
    part summaries are merged (reduce), repeatedly if needed, so that no single call exceeds
    the budget whatever the recording's length. A server that still reports its context as
    exceeded gets the same transcript again in sections half as long: never cut silently.
    """

    # Models constrained by the schema itself (grammar) need not read it in the prompt.
    schema_in_prompt = True

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
        """The model's raw answer; raise `ProviderError` on any failure (`ContextOverflowError`
        when the request does not fit the model's context)."""

    def count_tokens(self, text: str) -> int:
        """Tokens `text` costs this provider's models (an estimate unless a subclass knows)."""
        return estimate_tokens(text)

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        if not request.has_speech:
            summary = no_speech_summary(request.language, self.name, self.models[0])
            return summary
        errors: list[str] = []
        for model in self.models:
            run = _ModelRun(self, model, request)
            try:
                output = await run.summarize()
            except ProviderError as error:
                logger.warning("%s: model %s failed: %s", self.name, model, error)
                errors.append(f"{model}: {error}")
                continue
            return to_structured_summary(output, request, self.name, model, sections=run.sections)
        raise ProviderError(f"{self.name}: every model failed ({'; '.join(errors)})")

    async def ask(self, model: str, prompt: Prompt) -> LlmSummary:
        """One call to `model`, its answer validated; an invalid answer is asked for once more
        (sampling differs between calls), a second invalid one fails the model."""
        for attempt in (1, 2):
            try:
                # An overall deadline: the HTTP clients' timeouts apply to each read separately.
                async with asyncio.timeout(self.timeout):
                    content = await self._complete(model, prompt)
            except TimeoutError as error:
                raise ProviderError(f"no answer within {self.timeout} s") from error
            try:
                return parse_llm_summary(content)
            except InvalidOutputError as error:
                if attempt == 2:
                    raise
                logger.warning(
                    "%s: %s answered invalid output, asking again: %s", self.name, model, error
                )
        raise AssertionError("unreachable")


class _ModelRun:
    """One attempt at a summary with one model (several calls when the input is long)."""

    def __init__(self, provider: LlmSummaryProvider, model: str, request: SummaryRequest) -> None:
        self._provider = provider
        self._model = model
        self._request = request
        self._slots = asyncio.Semaphore(provider.max_parallel_calls)
        self._budget = provider.chunk_token_budget
        self._done = 0
        self._total = 1
        self.sections = 1

    async def summarize(self) -> LlmSummary:
        while True:
            try:
                return await self._summarize_in_sections()
            except ContextOverflowError as error:
                if self._budget // 2 < MIN_CHUNK_TOKEN_BUDGET:
                    raise
                self._budget //= 2
                logger.warning(
                    "%s: %s reports its context exceeded (%s); sections of %d tokens now",
                    self._provider.name,
                    self._model,
                    error,
                    self._budget,
                )

    async def _summarize_in_sections(self) -> LlmSummary:
        request = self._request
        schema = self._provider.schema_in_prompt
        chunks = chunk_segments(
            request.transcript_segments, self._budget, self._provider.count_tokens
        )
        self.sections = len(chunks)
        self._done = 0
        self._total = len(chunks) + (1 if len(chunks) > 1 else 0)
        if len(chunks) == 1:
            return await self._ask(whole_transcript_prompt(request, chunks[0], schema))
        logger.info("%s: transcript split into %d parts", self._provider.name, len(chunks))
        partials = await self._all(
            [
                self._ask(chunk_prompt(request, chunk, number, len(chunks), schema))
                for number, chunk in enumerate(chunks, 1)
            ]
        )
        return await self._merge(partials)

    async def _merge(self, partials: list[LlmSummary]) -> LlmSummary:
        schema = self._provider.schema_in_prompt
        while True:
            texts = [partial.model_dump_json() for partial in partials]
            groups = group_by_budget(texts, self._budget, self._provider.count_tokens)
            if len(groups) == 1:
                return await self._ask(merge_prompt(self._request, texts, True, schema))
            self._total += len(groups)
            partials = await self._all(
                [
                    self._ask(merge_prompt(self._request, [texts[i] for i in group], False, schema))
                    for group in groups
                ]
            )

    async def _ask(self, prompt: Prompt) -> LlmSummary:
        async with self._slots:
            answer = await self._provider.ask(self._model, prompt)
        self._done += 1
        if self._request.progress is not None:
            await self._request.progress(self._done, self._total)
        return answer

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
