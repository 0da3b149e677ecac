"""What the language-model providers share: model fallback, one retry on an invalid answer,
and map-reduce over input longer than the model's context."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from services.summarizer.engine.chunking import chunk_segments, estimate_tokens, group_by_budget
from services.summarizer.engine.commitments import (
    Commitment,
    ground_commitments,
    parse_commitments,
)
from services.summarizer.engine.errors import (
    ContextOverflowError,
    InvalidOutputError,
    ProviderError,
)
from services.summarizer.engine.grounding import (
    content_words_for,
    spoken_words,
    to_structured_summary,
)
from services.summarizer.engine.labels import no_speech_summary
from services.summarizer.engine.llm_output import LlmSummary, parse_llm_summary
from services.summarizer.engine.model import StructuredSummary, SummaryRequest
from services.summarizer.engine.prompts import (
    Prompt,
    chunk_prompt,
    commitments_prompt,
    merge_prompt,
    whole_transcript_prompt,
)

logger = logging.getLogger(__name__)

# Below this a transcript section holds too little talk to summarize meaningfully.
MIN_CHUNK_TOKEN_BUDGET = 256

_Answer = TypeVar("_Answer")


class LlmSummaryProvider(ABC):
    """Summarizes with the first of `models` that succeeds.

    A transcript longer than `chunk_token_budget` is summarized part by part (map), and the
    part summaries are merged (reduce), repeatedly if needed, so that no single call exceeds
    the budget whatever the recording's length. A server that still reports its context as
    exceeded gets the same transcript again in sections half as long: never cut silently.
    """

    # Models constrained by the schema itself (grammar) need not read it in the prompt.
    schema_in_prompt = True
    # Ask a second, narrower question for the action items, section by section (small
    # models miss commitments made in passing when asked for everything at once).
    commitment_pass = False

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

    def has_time_for_commitments(self, first_pass_seconds: float) -> bool:
        """Whether the commitment pass may still run after a summary that took this long."""
        return True

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
            commitments = (
                await run.commitments()
                if self.commitment_pass and self.has_time_for_commitments(run.seconds)
                else None
            )
            return to_structured_summary(
                output, request, self.name, model, sections=run.sections, commitments=commitments
            )
        raise ProviderError(f"{self.name}: every model failed ({'; '.join(errors)})")

    async def ask(self, model: str, prompt: Prompt) -> LlmSummary:
        """One call to `model`, its answer validated; an invalid answer is asked for once more
        (sampling differs between calls), a second invalid one fails the model."""
        return await self.ask_for(model, prompt, parse_llm_summary)

    async def ask_for(self, model: str, prompt: Prompt, parse: Callable[[str], _Answer]) -> _Answer:
        """`ask` for any answer `parse` validates (raising `InvalidOutputError`)."""
        for attempt in (1, 2):
            try:
                # An overall deadline: the HTTP clients' timeouts apply to each read separately.
                async with asyncio.timeout(self.timeout):
                    content = await self._complete(model, prompt)
            except TimeoutError as error:
                raise ProviderError(f"no answer within {self.timeout} s") from error
            try:
                return parse(content)
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
        self.seconds = 0.0
        # The commitment pass, when the provider runs one, asks once more per section.
        self._extra_calls_per_section = 1 if provider.commitment_pass else 0

    async def summarize(self) -> LlmSummary:
        started = time.monotonic()
        try:
            return await self._summarize_until_it_fits()
        finally:
            self.seconds = time.monotonic() - started

    async def _summarize_until_it_fits(self) -> LlmSummary:
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
        self._total = len(chunks) * (1 + self._extra_calls_per_section) + (
            1 if len(chunks) > 1 else 0
        )
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

    async def commitments(self) -> list[Commitment] | None:
        """The commitment pass over the same sections as the summary, or None when it fails
        (the summary's own action items then stand alone)."""
        request = self._request
        chunks = chunk_segments(
            request.transcript_segments, self._budget, self._provider.count_tokens
        )
        spoken = [s for s in request.transcript_segments if s.text.strip()]
        words, content_words = spoken_words(spoken), content_words_for(spoken)
        found: list[Commitment] = []
        try:
            for chunk in chunks:
                answer = await self._provider.ask_for(
                    self._model, commitments_prompt(request, chunk), parse_commitments
                )
                found += ground_commitments(
                    answer, chunk, spoken_words=words, content_words=content_words
                )
                await self._section_done()
        except ProviderError as error:
            logger.warning(
                "%s: %s: the commitment pass failed, keeping the summary's action items: %s",
                self._provider.name,
                self._model,
                error,
            )
            return None
        return found

    async def _ask(self, prompt: Prompt) -> LlmSummary:
        async with self._slots:
            answer = await self._provider.ask(self._model, prompt)
        await self._section_done()
        return answer

    async def _section_done(self) -> None:
        self._done += 1
        if self._request.progress is not None:
            await self._request.progress(min(self._done, self._total), self._total)

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
