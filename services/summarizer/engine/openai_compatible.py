"""Any OpenAI-compatible chat completions server over HTTP: a configured one (Ollama, vLLM,
LM Studio, llama.cpp's server) or a hosted service (OpenRouter, Groq) with its own defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from services.summarizer.engine.errors import ContextOverflowError, ProviderError
from services.summarizer.engine.llm_output import SUMMARY_JSON_SCHEMA
from services.summarizer.engine.llm_provider import LlmSummaryProvider
from services.summarizer.engine.prompts import Prompt

# How servers word "the request is longer than my context" (OpenAI, vLLM, llama.cpp, LM Studio).
_CONTEXT_EXCEEDED = re.compile(
    r"context[_ ]length|context (?:size|window)|maximum context|exceeds? the (?:available )?"
    r"context|too many tokens|prompt is too long|input is too long|n_ctx",
    re.IGNORECASE,
)
# Room kept for the instructions and schema around a transcript section, and for the answer.
PROMPT_OVERHEAD_TOKENS = 1_200
ANSWER_TOKENS = 1_500

# Models that ignore structured output still get the schema in the system prompt.
SCHEMA_RESPONSE_FORMAT: Mapping[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "meeting_summary", "strict": True, "schema": SUMMARY_JSON_SCHEMA},
}
# For servers that take no schema, only the promise of a JSON object.
JSON_MODE_RESPONSE_FORMAT: Mapping[str, Any] = {"type": "json_object"}


def chunk_budget_for_context(context_tokens: int) -> int:
    """Transcript tokens per call that leave room for the instructions and the answer."""
    return max(context_tokens - PROMPT_OVERHEAD_TOKENS - ANSWER_TOKENS, context_tokens // 4)


class OpenAICompatibleProvider(LlmSummaryProvider):
    def __init__(
        self,
        *,
        base_url: str,
        models: Sequence[str],
        api_key: str | None = None,
        name: str = "openai-compatible",
        timeout: float = 60.0,
        chunk_token_budget: int = chunk_budget_for_context(8_192),
        max_parallel_calls: int = 1,
        extra_headers: Mapping[str, str] | None = None,
        response_format: Mapping[str, Any] = SCHEMA_RESPONSE_FORMAT,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            name=name,
            models=models,
            timeout=timeout,
            chunk_token_budget=chunk_token_budget,
            max_parallel_calls=max_parallel_calls,
        )
        self._api_key = api_key
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = dict(extra_headers or {})
        self._response_format = response_format
        self._http_client = http_client

    async def _complete(self, model: str, prompt: Prompt) -> str:
        body = {
            "model": model,
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "response_format": self._response_format,
        }
        headers = dict(self._headers)
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            if self._http_client is not None:
                response = await self._http_client.post(self._url, json=body, headers=headers)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.post(self._url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise ProviderError(f"{model}: {type(error).__name__}: {error}") from error
        if response.status_code != httpx.codes.OK:
            text = response.text[:300]
            if response.status_code in (400, 413) and _CONTEXT_EXCEEDED.search(text):
                raise ContextOverflowError(f"{model}: HTTP {response.status_code}: {text}")
            raise ProviderError(f"{model}: HTTP {response.status_code}: {text}")
        try:
            payload = response.json()
        except ValueError as error:
            raise ProviderError(f"{model}: response body is not JSON") from error
        return message_content(model, payload)


@dataclass(frozen=True)
class HostedApi:
    """A cloud service that speaks the chat completions API, and how SpeechFlow uses it."""

    name: str
    base_url: str
    models: tuple[str, ...]
    chunk_token_budget: int
    max_parallel_calls: int
    response_format: Mapping[str, Any]
    # Between the base URL and `/chat/completions`.
    api_path: str = ""
    extra_headers: Mapping[str, str] = field(default_factory=dict)


class HostedProvider(OpenAICompatibleProvider):
    """An OpenAI-compatible provider whose defaults are those of its service's `api`; every
    one of them can still be given (a stand-in server's URL, other models, another budget)."""

    api: ClassVar[HostedApi]

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        models: Sequence[str] | None = None,
        timeout: float = 60.0,
        chunk_token_budget: int | None = None,
        max_parallel_calls: int | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        api = self.api
        super().__init__(
            base_url=(base_url or api.base_url).rstrip("/") + api.api_path,
            models=api.models if models is None else models,
            api_key=api_key,
            name=api.name,
            timeout=timeout,
            chunk_token_budget=chunk_token_budget or api.chunk_token_budget,
            max_parallel_calls=max_parallel_calls or api.max_parallel_calls,
            extra_headers=api.extra_headers,
            response_format=api.response_format,
            http_client=http_client,
        )


def message_content(model: str, payload: Any) -> str:
    # OpenRouter reports some upstream failures as HTTP 200 with an "error" object.
    if isinstance(payload, dict) and "error" in payload:
        if _CONTEXT_EXCEEDED.search(str(payload["error"])):
            raise ContextOverflowError(f"{model}: {payload['error']}")
        raise ProviderError(f"{model}: {payload['error']}")
    try:
        choice = payload["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise ProviderError(f"{model}: response has no message content") from error
    if not isinstance(content, str) or not content.strip():
        raise ProviderError(f"{model}: empty message content")
    return content
