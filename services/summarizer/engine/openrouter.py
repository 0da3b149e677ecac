"""OpenRouter: OpenAI-compatible chat completions over HTTP, several models in turn."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from services.summarizer.engine.openai_compatible import OpenAICompatibleProvider

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Gemini Flash is fast and cheap with a very large context; Claude Haiku is the fallback.
OPENROUTER_MODELS = ("google/gemini-2.0-flash-001", "anthropic/claude-3.5-haiku")
OPENROUTER_CHUNK_TOKEN_BUDGET = 24_000


class OpenRouterProvider(OpenAICompatibleProvider):
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
            base_url=base_url,
            models=models,
            api_key=api_key,
            name="openrouter",
            timeout=timeout,
            chunk_token_budget=chunk_token_budget,
            max_parallel_calls=max_parallel_calls,
            extra_headers={"X-Title": "SpeechFlow"},
            http_client=http_client,
        )
