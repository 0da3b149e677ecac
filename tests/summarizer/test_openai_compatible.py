"""A configured OpenAI-compatible server (Ollama, vLLM, LM Studio …), against the stand-in."""

from __future__ import annotations

import asyncio
import json

import pytest

from services.summarizer.engine import (
    OpenAICompatibleProvider,
    ProviderError,
    StructuredSummary,
    SummaryRequest,
    build_chain,
)
from services.summarizer.engine.llm_output import SUMMARY_JSON_SCHEMA
from tests.summarizer.llm_answers import summary_json, summary_payload
from tests.summarizer.stand_in_llm_server import (
    RecordedCall,
    Reply,
    chat_completion,
    error_reply,
    running_stand_in,
)
from tests.summarizer.transcripts import ENGLISH_MEETING

REQUEST = SummaryRequest(ENGLISH_MEETING, "en", "medium")


@pytest.mark.asyncio
async def test_the_configured_server_comes_first_and_gets_the_summary_schema() -> None:
    with running_stand_in(lambda call, n: chat_completion(summary_json("From Ollama"))) as api:
        chain = build_chain(
            llm_base_url=f"{api.url}/v1", llm_model="llama3.1:8b", groq_api_key="unused"
        )
        summary = await chain.summarize(REQUEST)

    assert (summary.provider, summary.model, summary.title) == (
        "openai-compatible",
        "llama3.1:8b",
        "From Ollama",
    )
    [call] = api.calls
    assert call.path == "/v1/chat/completions"
    assert "authorization" not in call.headers  # no key configured, none sent
    sent = call.body["response_format"]["json_schema"]["schema"]
    assert sent == SUMMARY_JSON_SCHEMA
    assert sent["properties"]["action_items"]["items"]["required"] == ["text", "owner", "due"]
    assert "speaker_names" in sent["required"]


@pytest.mark.asyncio
async def test_an_invalid_answer_is_asked_for_once_more() -> None:
    def invalid_first(call: RecordedCall, number: int) -> Reply:
        return chat_completion('{"title": "cut' if number == 0 else summary_json("Second try"))

    with running_stand_in(invalid_first) as api:
        provider = OpenAICompatibleProvider(base_url=api.url, models=["m"], api_key="k")
        summary = await provider.summarize(REQUEST)

    assert summary.title == "Second try"
    assert len(api.calls) == 2
    assert api.calls[0].headers["authorization"] == "Bearer k"


@pytest.mark.asyncio
async def test_two_invalid_answers_fall_back_to_the_next_provider() -> None:
    with running_stand_in(lambda call, n: chat_completion("not json at all")) as api:
        chain = build_chain(llm_base_url=api.url, llm_model="m")
        summary = await chain.summarize(REQUEST)

    assert summary.provider == "extractive"
    assert len(api.calls) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [error_reply(429, "rate limit exceeded"), Reply(body=b"{}", delay=2.0)],
    ids=["rate-limited", "timeout"],
)
async def test_a_rate_limited_or_silent_server_falls_back(failure: Reply) -> None:
    with running_stand_in(lambda call, n: failure) as api:
        chain = build_chain(llm_base_url=api.url, llm_model="m", timeout=0.5)
        summary = await chain.summarize(REQUEST)

    assert summary.provider == "extractive"
    assert len(api.calls) == 1


def _small_context(limit: int) -> object:
    """A server whose context holds `limit` characters of prompt, as llama.cpp reports it."""

    def respond(call: RecordedCall, number: int) -> Reply:
        if len(call.user_prompt) > limit:
            return error_reply(
                400, "the request exceeds the available context size, try increasing it"
            )
        return chat_completion(summary_json(f"answer {number}"))

    return respond


@pytest.mark.asyncio
async def test_context_overflow_is_summarized_in_sections_never_cut() -> None:
    whole = "\n".join(segment.text for segment in ENGLISH_MEETING)
    with running_stand_in(_small_context(len(whole) // 2)) as api:  # type: ignore[arg-type]
        provider = OpenAICompatibleProvider(base_url=api.url, models=["m"])
        summary = await provider.summarize(REQUEST)

    accepted = [call for call in api.calls if len(call.user_prompt) <= len(whole) // 2]
    parts = [call for call in accepted if call.user_prompt.startswith("Transcript:")]
    for segment in ENGLISH_MEETING:
        assert sum(segment.text in call.user_prompt for call in parts) == 1
    assert api.calls[-1].user_prompt.startswith("Part 1:")
    assert summary.built_from_sections
    assert "sections" in summary.notes[0]


@pytest.mark.asyncio
async def test_sections_report_progress() -> None:
    reports: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        reports.append((done, total))

    request = SummaryRequest(ENGLISH_MEETING, "en", "short", progress=progress)
    with running_stand_in(lambda call, n: chat_completion(summary_json())) as api:
        provider = OpenAICompatibleProvider(base_url=api.url, models=["m"], chunk_token_budget=400)
        await provider.summarize(request)

    assert len(reports) == len(api.calls) >= 3
    assert [done for done, _ in reports] == list(range(1, len(reports) + 1))
    assert reports[-1][0] == reports[-1][1]


@pytest.mark.asyncio
async def test_the_summary_language_and_template_instructions_reach_the_prompt() -> None:
    request = SummaryRequest(
        ENGLISH_MEETING,
        "en",
        "short",
        summary_language="de",
        transcript_language="en",
        instructions="Write it as lecture notes with a glossary.",
    )
    with running_stand_in(lambda call, n: chat_completion(summary_json("Planung"))) as api:
        summary = await OpenAICompatibleProvider(base_url=api.url, models=["m"]).summarize(request)

    assert summary.language == "de"
    assert "German" in api.calls[0].system_prompt
    assert "lecture notes with a glossary" in api.calls[0].system_prompt


@pytest.mark.asyncio
async def test_owners_and_names_are_checked_against_the_transcript() -> None:
    payload = summary_payload(
        action_items=[
            {"text": "Prepare the trade show booth.", "owner": "Bartholomew", "due": None},
            {"text": "Send the revised marketing budget.", "owner": "Sarah", "due": "Friday"},
        ],
        speaker_names=[{"speaker": "Speaker 9", "name": "Zed"}],
    )
    with running_stand_in(lambda call, n: chat_completion(json.dumps(payload))) as api:
        summary = await OpenAICompatibleProvider(base_url=api.url, models=["m"]).summarize(
            SummaryRequest(ENGLISH_MEETING, "en", "short")
        )

    owners = [item.owner for item in summary.action_items]
    assert owners == [None, "Sarah"]  # nobody called Bartholomew was in the meeting
    assert summary.action_items[1].due == "Friday"  # no recording date: the words said
    assert summary.speaker_names == {}


@pytest.mark.asyncio
async def test_a_slow_language_model_gives_way_to_the_extractive_summary() -> None:
    class Slow:
        name = "slow-llm"

        async def summarize(self, request: SummaryRequest) -> StructuredSummary:
            await asyncio.sleep(30)
            raise ProviderError("unreachable")

    from services.summarizer.engine import ExtractiveProvider, ProviderChain

    chain = ProviderChain([Slow(), ExtractiveProvider()], time_budget=0.2)
    summary = await chain.summarize(REQUEST)

    assert summary.provider == "extractive"
