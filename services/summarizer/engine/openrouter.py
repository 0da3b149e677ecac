"""OpenRouter: OpenAI-compatible chat completions over HTTP, several models in turn."""

from __future__ import annotations

from services.summarizer.engine.openai_compatible import (
    SCHEMA_RESPONSE_FORMAT,
    HostedApi,
    HostedProvider,
)

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Gemini Flash is fast and cheap with a very large context; Claude Haiku is the fallback.
OPENROUTER_MODELS = ("google/gemini-2.0-flash-001", "anthropic/claude-3.5-haiku")
OPENROUTER_CHUNK_TOKEN_BUDGET = 24_000


class OpenRouterProvider(HostedProvider):
    api = HostedApi(
        name="openrouter",
        base_url=OPENROUTER_BASE_URL,
        models=OPENROUTER_MODELS,
        chunk_token_budget=OPENROUTER_CHUNK_TOKEN_BUDGET,
        max_parallel_calls=4,
        response_format=SCHEMA_RESPONSE_FORMAT,
        extra_headers={"X-Title": "SpeechFlow"},
    )
