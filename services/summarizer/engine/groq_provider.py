"""Groq through its SDK, in JSON mode."""

from __future__ import annotations

from collections.abc import Sequence

import groq

from services.summarizer.engine.errors import ProviderError
from services.summarizer.engine.llm_provider import LlmSummaryProvider
from services.summarizer.engine.prompts import Prompt

GROQ_BASE_URL = "https://api.groq.com"
GROQ_MODELS = ("llama-3.3-70b-versatile",)
# Groq's per-minute token limits are low on small plans: keep each request modest.
GROQ_CHUNK_TOKEN_BUDGET = 6_000


class GroqProvider(LlmSummaryProvider):
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = GROQ_BASE_URL,
        models: Sequence[str] = GROQ_MODELS,
        timeout: float = 60.0,
        chunk_token_budget: int = GROQ_CHUNK_TOKEN_BUDGET,
        max_parallel_calls: int = 2,
    ) -> None:
        super().__init__(
            name="groq",
            models=models,
            timeout=timeout,
            chunk_token_budget=chunk_token_budget,
            max_parallel_calls=max_parallel_calls,
        )
        self._api_key = api_key
        self._base_url = base_url

    async def _complete(self, model: str, prompt: Prompt) -> str:
        # No SDK retries: on failure the chain's next provider is a better use of the time.
        client = groq.AsyncGroq(
            api_key=self._api_key, base_url=self._base_url, timeout=self.timeout, max_retries=0
        )
        try:
            async with client:
                completion = await client.chat.completions.create(
                    model=model,
                    temperature=0.2,
                    response_format={"type": "json_object"},
                    messages=[
                        {"role": "system", "content": prompt.system},
                        {"role": "user", "content": prompt.user},
                    ],
                )
        except groq.APIError as error:
            raise ProviderError(f"{model}: {type(error).__name__}: {error}") from error
        if not completion.choices or not completion.choices[0].message.content:
            raise ProviderError(f"{model}: empty message content")
        return completion.choices[0].message.content
