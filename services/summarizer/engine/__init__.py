"""Meeting summarization: language-model providers with an offline extractive fallback."""

from services.summarizer.engine.chain import ProviderChain
from services.summarizer.engine.errors import (
    AllProvidersFailedError,
    ContextOverflowError,
    InvalidOutputError,
    ProviderError,
    TranslationUnavailableError,
)
from services.summarizer.engine.extractive import ExtractiveProvider
from services.summarizer.engine.factory import build_chain
from services.summarizer.engine.groq_provider import GroqProvider
from services.summarizer.engine.local_llm import LocalLlmProvider, LocalModel
from services.summarizer.engine.model import (
    ActionItem,
    Language,
    Segment,
    StructuredSummary,
    SummaryLength,
    SummaryRequest,
    Topic,
)
from services.summarizer.engine.openai_compatible import OpenAICompatibleProvider
from services.summarizer.engine.openrouter import OpenRouterProvider
from services.summarizer.engine.provider import SummaryProvider

__all__ = [
    "ActionItem",
    "AllProvidersFailedError",
    "ContextOverflowError",
    "ExtractiveProvider",
    "GroqProvider",
    "InvalidOutputError",
    "Language",
    "LocalLlmProvider",
    "LocalModel",
    "OpenAICompatibleProvider",
    "OpenRouterProvider",
    "ProviderChain",
    "ProviderError",
    "Segment",
    "StructuredSummary",
    "SummaryLength",
    "SummaryProvider",
    "SummaryRequest",
    "Topic",
    "TranslationUnavailableError",
    "build_chain",
]
