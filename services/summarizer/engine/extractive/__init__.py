"""Offline extractive summarization (sumy LexRank + cue phrases)."""

from services.summarizer.engine.extractive.provider import ExtractiveProvider

__all__ = ["ExtractiveProvider"]
