"""Building the provider chain from settings."""

from __future__ import annotations

from collections.abc import Sequence

from services.summarizer.engine.chain import ProviderChain
from services.summarizer.engine.extractive import ExtractiveProvider
from services.summarizer.engine.groq_provider import (
    GROQ_BASE_URL,
    GROQ_CHUNK_TOKEN_BUDGET,
    GROQ_MODELS,
    GroqProvider,
)
from services.summarizer.engine.openrouter import (
    OPENROUTER_BASE_URL,
    OPENROUTER_CHUNK_TOKEN_BUDGET,
    OPENROUTER_MODELS,
    OpenRouterProvider,
)
from services.summarizer.engine.provider import SummaryProvider


def build_chain(
    *,
    openrouter_api_key: str | None = None,
    openrouter_base_url: str = OPENROUTER_BASE_URL,
    groq_api_key: str | None = None,
    groq_base_url: str = GROQ_BASE_URL,
    timeout: float = 60.0,
    openrouter_models: Sequence[str] = OPENROUTER_MODELS,
    groq_models: Sequence[str] = GROQ_MODELS,
    chunk_token_budget: int | None = None,
) -> ProviderChain:
    """Cloud providers whose key is set (OpenRouter, then Groq), then the offline extractive one.

    An empty key counts as unset, as environment variables are often defined but empty.
    `chunk_token_budget` overrides each cloud provider's own default when given.
    """
    providers: list[SummaryProvider] = []
    if openrouter_api_key:
        providers.append(
            OpenRouterProvider(
                openrouter_api_key,
                base_url=openrouter_base_url,
                models=openrouter_models,
                timeout=timeout,
                chunk_token_budget=chunk_token_budget or OPENROUTER_CHUNK_TOKEN_BUDGET,
            )
        )
    if groq_api_key:
        providers.append(
            GroqProvider(
                groq_api_key,
                base_url=groq_base_url,
                models=groq_models,
                timeout=timeout,
                chunk_token_budget=chunk_token_budget or GROQ_CHUNK_TOKEN_BUDGET,
            )
        )
    providers.append(ExtractiveProvider())
    return ProviderChain(providers)
