from __future__ import annotations

import json

import pytest

from services.summarizer.engine import (
    GroqProvider,
    OpenRouterProvider,
    ProviderError,
    SummaryRequest,
)
from tests.summarizer.llm_answers import summary_json, summary_payload
from tests.summarizer.stand_in_llm_server import (
    RecordedCall,
    Reply,
    chat_completion,
    error_reply,
    running_stand_in,
)
from tests.summarizer.transcripts import ENGLISH_MEETING

REQUEST = SummaryRequest(ENGLISH_MEETING, "fr", "medium")


def always(reply: Reply) -> object:
    return lambda call, number: reply


@pytest.mark.asyncio
async def test_openrouter_summary_comes_from_the_model_answer() -> None:
    with running_stand_in(lambda call, n: chat_completion(summary_json("Planification"))) as api:
        provider = OpenRouterProvider("test-key", base_url=f"{api.url}/api/v1")
        summary = await provider.summarize(REQUEST)

    assert summary.title == "Planification"
    assert summary.provider == "openrouter"
    assert summary.model == "google/gemini-2.0-flash-001"
    assert summary.language == "fr"
    assert summary.action_items[0].owner == "Sarah"
    # The model left it unowned; the sentence it came from names Julia.
    assert summary.action_items[1].owner == "Julia"
    assert summary.topics[0].end == 170
    [call] = api.calls
    assert call.path == "/api/v1/chat/completions"
    assert call.headers["authorization"] == "Bearer test-key"
    assert call.body["response_format"]["type"] == "json_schema"
    assert "French" in call.system_prompt
    assert call.user_prompt.startswith("Transcript:\n[0-5] Okay, let's get started,")


@pytest.mark.asyncio
async def test_openrouter_tries_haiku_when_gemini_fails() -> None:
    def gemini_down(call: RecordedCall, number: int) -> Reply:
        if call.model.startswith("google/"):
            return error_reply(503, "upstream overloaded")
        return chat_completion(summary_json("From Haiku"))

    with running_stand_in(gemini_down) as api:
        provider = OpenRouterProvider("test-key", base_url=f"{api.url}/api/v1")
        summary = await provider.summarize(REQUEST)

    assert [call.model for call in api.calls] == [
        "google/gemini-2.0-flash-001",
        "anthropic/claude-3.5-haiku",
    ]
    assert (summary.title, summary.model) == ("From Haiku", "anthropic/claude-3.5-haiku")


@pytest.mark.asyncio
async def test_openrouter_error_object_in_a_200_answer_is_a_failure() -> None:
    body = json.dumps({"error": {"message": "no endpoints", "code": 404}}).encode()
    with running_stand_in(lambda call, n: Reply(body=body)) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1", models=["m"])
        with pytest.raises(ProviderError, match="no endpoints"):
            await provider.summarize(REQUEST)


@pytest.mark.asyncio
async def test_json_wrapped_in_a_code_fence_is_accepted() -> None:
    fenced = f"```json\n{summary_json('Fenced')}\n```"
    with running_stand_in(lambda call, n: chat_completion(fenced)) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1")
        summary = await provider.summarize(REQUEST)

    assert summary.title == "Fenced"


@pytest.mark.asyncio
async def test_topic_times_are_kept_within_the_recording() -> None:
    answer = summary_json(
        topics=[
            {"title": "Late", "start": 900, "end": 99999},
            {"title": "Backwards", "start": 120, "end": 60},
        ]
    )
    with running_stand_in(lambda call, n: chat_completion(answer)) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1")
        summary = await provider.summarize(REQUEST)

    duration = ENGLISH_MEETING[-1].end
    assert [(t.title, t.start, t.end) for t in summary.topics] == [
        ("Backwards", 60, 120),
        ("Late", duration, duration),
    ]


@pytest.mark.asyncio
async def test_groq_summary_comes_from_the_model_answer_in_json_mode() -> None:
    with running_stand_in(lambda call, n: chat_completion(summary_json("Via Groq"))) as api:
        provider = GroqProvider("groq-key", base_url=api.url)
        summary = await provider.summarize(REQUEST)

    assert (summary.title, summary.provider, summary.model) == (
        "Via Groq",
        "groq",
        "llama-3.3-70b-versatile",
    )
    [call] = api.calls
    assert call.path == "/openai/v1/chat/completions"
    assert call.headers["authorization"] == "Bearer groq-key"
    assert call.body["response_format"] == {"type": "json_object"}


@pytest.mark.asyncio
async def test_groq_rate_limit_is_a_provider_error_without_retries() -> None:
    with running_stand_in(lambda call, n: error_reply(429, "slow down")) as api:
        provider = GroqProvider("groq-key", base_url=api.url)
        with pytest.raises(ProviderError, match=r"429|RateLimit"):
            await provider.summarize(REQUEST)

    assert len(api.calls) == 1


@pytest.mark.asyncio
async def test_cloud_providers_do_not_call_the_api_for_an_empty_transcript() -> None:
    with running_stand_in(lambda call, n: chat_completion(summary_json())) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1")
        summary = await provider.summarize(SummaryRequest([], "en", "short"))

    assert summary.summary == "No speech was detected in this recording."
    assert api.calls == []


@pytest.mark.asyncio
async def test_answer_missing_a_required_section_is_rejected() -> None:
    payload = summary_payload()
    del payload["decisions"]
    with running_stand_in(lambda call, n: chat_completion(json.dumps(payload))) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1", models=["m"])
        with pytest.raises(ProviderError, match="schema"):
            await provider.summarize(REQUEST)
