"""Building the provider chain from settings."""

from __future__ import annotations

from services.summarizer.engine.chain import ProviderChain
from services.summarizer.engine.extractive import ExtractiveProvider
from services.summarizer.engine.groq_provider import GroqProvider
from services.summarizer.engine.local_llm import LocalLlmProvider, LocalModel
from services.summarizer.engine.openai_compatible import (
    OpenAICompatibleProvider,
    chunk_budget_for_context,
)
from services.summarizer.engine.openrouter import OpenRouterProvider
from services.summarizer.engine.provider import SummaryProvider


def build_chain(
    *,
    llm_base_url: str | None = None,
    llm_model: str | None = None,
    llm_api_key: str | None = None,
    llm_context_tokens: int = 8_192,
    openrouter_api_key: str | None = None,
    openrouter_base_url: str = "",
    groq_api_key: str | None = None,
    groq_base_url: str = "",
    local_model: LocalModel | None = None,
    timeout: float = 60.0,
    time_budget: float | None = None,
    chunk_token_budget: int | None = None,
) -> ProviderChain:
    """In order: a configured OpenAI-compatible server, OpenRouter and Groq when their key is
    set, the local model when loaded, then the offline extractive summarizer.

    An empty setting counts as unset, as environment variables are often defined but empty.
    OpenRouter and Groq use their own models and, unless one is given, their own base URL
    (their `HostedApi`); `chunk_token_budget` overrides each remote provider's own default
    when given. The local model gets the whole `time_budget` as its own timeout (it cannot be
    faster than that).
    """
    providers: list[SummaryProvider] = []
    if llm_base_url and llm_model:
        providers.append(
            OpenAICompatibleProvider(
                base_url=llm_base_url,
                models=[llm_model],
                api_key=llm_api_key or None,
                timeout=timeout,
                chunk_token_budget=chunk_token_budget
                or chunk_budget_for_context(llm_context_tokens),
            )
        )
    hosted = (
        (OpenRouterProvider, openrouter_api_key, openrouter_base_url),
        (GroqProvider, groq_api_key, groq_base_url),
    )
    for hosted_provider, api_key, base_url in hosted:
        if api_key:
            providers.append(
                hosted_provider(
                    api_key,
                    base_url=base_url,
                    timeout=timeout,
                    chunk_token_budget=chunk_token_budget,
                )
            )
    if local_model is not None:
        providers.append(LocalLlmProvider(local_model, timeout=time_budget or timeout))
    providers.append(ExtractiveProvider())
    return ProviderChain(providers, time_budget=time_budget)
