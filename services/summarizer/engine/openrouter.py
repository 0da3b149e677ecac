"""OpenRouter: OpenAI-compatible chat completions over HTTP, several models in turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from services.summarizer.engine.errors import ProviderError
from services.summarizer.engine.llm_output import SUMMARY_JSON_SCHEMA
from services.summarizer.engine.llm_provider import LlmSummaryProvider
from services.summarizer.engine.prompts import Prompt

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Gemini Flash is fast and cheap with a very large context; Claude Haiku is the fallback.
OPENROUTER_MODELS = ("google/gemini-2.0-flash-001", "anthropic/claude-3.5-haiku")
OPENROUTER_CHUNK_TOKEN_BUDGET = 24_000


class OpenRouterProvider(LlmSummaryProvider):
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = OPENROUTER_BASE_URL,
        models: Sequence[str] = OPENROUTER_MODELS,
        timeout: float = 60.0,
        chunk_token_budget: int = OPENROUTER_CHUNK_TOKEN_BUDGET,
        max_parallel_calls: int = 4,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            name="openrouter",
            models=models,
            timeout=timeout,
            chunk_token_budget=chunk_token_budget,
            max_parallel_calls=max_parallel_calls,
        )
        self._api_key = api_key
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._http_client = http_client

    async def _complete(self, model: str, prompt: Prompt) -> str:
        body = {
            "model": model,
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            # Models that ignore structured output still get the schema in the system prompt.
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "meeting_summary",
                    "strict": True,
                    "schema": SUMMARY_JSON_SCHEMA,
                },
            },
        }
        headers = {"Authorization": f"Bearer {self._api_key}", "X-Title": "SpeechFlow"}
        try:
            if self._http_client is not None:
                response = await self._http_client.post(self._url, json=body, headers=headers)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.post(self._url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise ProviderError(f"{model}: {type(error).__name__}: {error}") from error
        if response.status_code != httpx.codes.OK:
            raise ProviderError(f"{model}: HTTP {response.status_code}: {response.text[:300]}")
        try:
            payload = response.json()
        except ValueError as error:
            raise ProviderError(f"{model}: response body is not JSON") from error
        return _message_content(model, payload)


def _message_content(model: str, payload: Any) -> str:
    # OpenRouter reports some upstream failures as HTTP 200 with an "error" object.
    if isinstance(payload, dict) and "error" in payload:
        raise ProviderError(f"{model}: {payload['error']}")
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise ProviderError(f"{model}: response has no message content") from error
    if not isinstance(content, str) or not content.strip():
        raise ProviderError(f"{model}: empty message content")
    return content
