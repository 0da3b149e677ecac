from __future__ import annotations

import json
import logging

import pytest

from services.summarizer.engine import (
    AllProvidersFailedError,
    ExtractiveProvider,
    GroqProvider,
    OpenRouterProvider,
    ProviderChain,
    ProviderError,
    StructuredSummary,
    SummaryRequest,
    build_chain,
)
from tests.summarizer.llm_answers import summary_json, summary_payload
from tests.summarizer.stand_in_llm_server import (
    Reply,
    chat_completion,
    error_reply,
    running_stand_in,
)
from tests.summarizer.transcripts import ENGLISH_MEETING

REQUEST = SummaryRequest(ENGLISH_MEETING, "en", "short")
# Generous: on a loaded shared machine the stand-in may take a while to answer.
CLIENT_TIMEOUT = 1.0

schema_invalid = summary_payload()
schema_invalid["action_items"] = "call the vendor"

FAILURES = {
    "rate-limited": error_reply(429, "rate limit exceeded"),
    "server-error": error_reply(500, "internal error"),
    "timeout": Reply(body=chat_completion(summary_json()).body, delay=CLIENT_TIMEOUT + 1.5),
    "malformed-json": chat_completion('{"title": "Half an answer", "summary": '),
    "schema-invalid": chat_completion(json.dumps(schema_invalid)),
}
INVALID_ANSWERS = (FAILURES["malformed-json"], FAILURES["schema-invalid"])


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_openrouter_failure_falls_back_to_groq(failure: Reply) -> None:
    with (
        running_stand_in(lambda call, n: failure) as openrouter,
        running_stand_in(lambda call, n: chat_completion(summary_json("From Groq"))) as groq,
    ):
        chain = build_chain(
            openrouter_api_key="or-key",
            openrouter_base_url=f"{openrouter.url}/api/v1",
            groq_api_key="groq-key",
            groq_base_url=groq.url,
            timeout=CLIENT_TIMEOUT,
        )
        summary = await chain.summarize(REQUEST)

    assert (summary.provider, summary.title) == ("groq", "From Groq")
    # Gemini, then Haiku; an invalid answer is asked for once more before a model is given up.
    assert len(openrouter.calls) == (4 if failure in INVALID_ANSWERS else 2)
    assert len(groq.calls) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_groq_failure_falls_back_to_the_extractive_summary(failure: Reply) -> None:
    with running_stand_in(lambda call, n: failure) as groq:
        chain = build_chain(groq_api_key="groq-key", groq_base_url=groq.url, timeout=CLIENT_TIMEOUT)
        summary = await chain.summarize(REQUEST)

    assert summary.provider == "extractive"
    assert summary.decisions
    assert len(groq.calls) == (2 if failure in INVALID_ANSWERS else 1)


@pytest.mark.asyncio
async def test_chain_logs_which_provider_failed_and_why(caplog: pytest.LogCaptureFixture) -> None:
    with running_stand_in(lambda call, n: error_reply(429, "rate limit exceeded")) as groq:
        chain = build_chain(groq_api_key="groq-key", groq_base_url=groq.url)
        with caplog.at_level(logging.WARNING, logger="services.summarizer.engine"):
            await chain.summarize(REQUEST)

    failures = [r.getMessage() for r in caplog.records if "trying the next" in r.getMessage()]
    assert len(failures) == 1
    assert "groq" in failures[0]
    assert "429" in failures[0]


def test_chain_lists_configured_cloud_providers_before_the_extractive_default() -> None:
    chain = build_chain(openrouter_api_key="a", groq_api_key="b")
    assert [type(p) for p in chain.providers] == [
        OpenRouterProvider,
        GroqProvider,
        ExtractiveProvider,
    ]


def test_unset_or_empty_keys_leave_only_the_extractive_default() -> None:
    chain = build_chain(openrouter_api_key="", groq_api_key=None)
    assert [type(p) for p in chain.providers] == [ExtractiveProvider]


@pytest.mark.asyncio
async def test_first_success_wins_and_later_providers_are_not_asked() -> None:
    with running_stand_in(lambda call, n: chat_completion(summary_json("Gemini"))) as api:
        chain = build_chain(
            openrouter_api_key="k",
            openrouter_base_url=f"{api.url}/api/v1",
            groq_api_key="g",
            groq_base_url="http://127.0.0.1:9",
        )
        summary = await chain.summarize(REQUEST)

    assert (summary.provider, summary.title) == ("openrouter", "Gemini")


class _Failing:
    name = "failing"

    async def summarize(self, request: SummaryRequest) -> StructuredSummary:
        raise ProviderError("out of credits")


@pytest.mark.asyncio
async def test_chain_without_a_working_provider_reports_every_failure() -> None:
    chain = ProviderChain([_Failing(), _Failing()])

    with pytest.raises(AllProvidersFailedError, match="out of credits") as raised:
        await chain.summarize(REQUEST)

    assert [name for name, _ in raised.value.failures] == ["failing", "failing"]


@pytest.mark.asyncio
async def test_unreachable_cloud_provider_falls_back_to_extractive() -> None:
    chain = build_chain(
        openrouter_api_key="k",
        openrouter_base_url="http://127.0.0.1:9/api/v1",
        timeout=CLIENT_TIMEOUT,
    )
    summary = await chain.summarize(REQUEST)
    assert summary.provider == "extractive"
