"""Meeting summarization: language-model providers with an offline extractive fallback."""

from services.summarizer.engine.chain import ProviderChain
from services.summarizer.engine.errors import AllProvidersFailedError, ProviderError
from services.summarizer.engine.extractive import ExtractiveProvider
from services.summarizer.engine.factory import build_chain
from services.summarizer.engine.groq_provider import GroqProvider
from services.summarizer.engine.model import (
    ActionItem,
    Language,
    Segment,
    StructuredSummary,
    SummaryLength,
    SummaryRequest,
    Topic,
)
from services.summarizer.engine.openrouter import OpenRouterProvider
from services.summarizer.engine.provider import SummaryProvider

__all__ = [
    "ActionItem",
    "AllProvidersFailedError",
    "ExtractiveProvider",
    "GroqProvider",
    "Language",
    "OpenRouterProvider",
    "ProviderChain",
    "ProviderError",
    "Segment",
    "StructuredSummary",
    "SummaryLength",
    "SummaryProvider",
    "SummaryRequest",
    "Topic",
    "build_chain",
]
