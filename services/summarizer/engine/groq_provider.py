"""Groq: its OpenAI-compatible chat completions API, in JSON mode."""

from __future__ import annotations

from services.summarizer.engine.openai_compatible import (
    JSON_MODE_RESPONSE_FORMAT,
    HostedApi,
    HostedProvider,
)

GROQ_BASE_URL = "https://api.groq.com"
GROQ_MODELS = ("llama-3.3-70b-versatile",)
# Groq's per-minute token limits are low on small plans: keep each request modest.
GROQ_CHUNK_TOKEN_BUDGET = 6_000


class GroqProvider(HostedProvider):
    # Its Llama models take no JSON schema, only JSON mode (the schema is in the prompt).
    api = HostedApi(
        name="groq",
        base_url=GROQ_BASE_URL,
        api_path="/openai/v1",
        models=GROQ_MODELS,
        chunk_token_budget=GROQ_CHUNK_TOKEN_BUDGET,
        max_parallel_calls=2,
        response_format=JSON_MODE_RESPONSE_FORMAT,
    )
