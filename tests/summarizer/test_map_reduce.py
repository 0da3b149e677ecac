from __future__ import annotations

import itertools

import pytest

from services.summarizer.engine import OpenRouterProvider, Segment, SummaryRequest
from services.summarizer.engine.chunking import (
    chunk_segments,
    estimate_tokens,
    group_by_budget,
    transcript_line,
)
from tests.summarizer.llm_answers import summary_json
from tests.summarizer.stand_in_llm_server import (
    RecordedCall,
    Reply,
    chat_completion,
    running_stand_in,
)
from tests.summarizer.transcripts import ENGLISH_MEETING


def numbered_answers(call: RecordedCall, number: int) -> Reply:
    return chat_completion(summary_json(f"answer {number}"))


def is_merge(call: RecordedCall) -> bool:
    return call.user_prompt.startswith("Part 1:")


@pytest.mark.asyncio
async def test_long_transcript_is_summarized_in_parts_then_merged() -> None:
    with running_stand_in(numbered_answers) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1", chunk_token_budget=400)
        summary = await provider.summarize(SummaryRequest(ENGLISH_MEETING, "en", "long"))

    part_calls = [call for call in api.calls if not is_merge(call)]
    merge_calls = [call for call in api.calls if is_merge(call)]
    assert len(part_calls) >= 3
    assert merge_calls
    for segment in ENGLISH_MEETING:
        assert sum(segment.text in call.user_prompt for call in part_calls) == 1
    final = api.calls[-1]
    assert is_merge(final)
    assert "one summary of the whole meeting" in final.system_prompt
    assert summary.title == f"answer {len(api.calls) - 1}"


@pytest.mark.asyncio
async def test_transcript_within_budget_takes_a_single_call() -> None:
    with running_stand_in(numbered_answers) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1")
        await provider.summarize(SummaryRequest(ENGLISH_MEETING, "en", "long"))

    assert len(api.calls) == 1


def test_chunks_keep_order_and_respect_the_budget() -> None:
    chunks = chunk_segments(ENGLISH_MEETING, token_budget=300)

    assert len(chunks) > 1
    assert [s for chunk in chunks for s in chunk] == ENGLISH_MEETING
    for chunk in chunks:
        assert sum(estimate_tokens(transcript_line(s)) + 1 for s in chunk) <= 300


def test_segment_larger_than_the_budget_is_split_with_interpolated_times() -> None:
    segment = Segment(100.0, 200.0, " ".join(f"word{i}" for i in range(1000)))

    chunks = chunk_segments([segment], token_budget=500)

    pieces = [piece for chunk in chunks for piece in chunk]
    assert len(chunks) > 1
    assert " ".join(piece.text for piece in pieces) == segment.text
    assert pieces[0].start == 100.0
    assert pieces[-1].end == 200.0
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))


def test_merging_groups_always_shrink_even_when_each_part_is_over_budget() -> None:
    groups = group_by_budget(["x" * 4000] * 5, token_budget=100)

    assert [len(group) for group in groups] == [2, 3]


@pytest.mark.asyncio
async def test_part_summaries_too_big_for_one_call_are_merged_in_rounds() -> None:
    with running_stand_in(numbered_answers) as api:
        provider = OpenRouterProvider("k", base_url=f"{api.url}/api/v1", chunk_token_budget=250)
        summary = await provider.summarize(SummaryRequest(ENGLISH_MEETING, "en", "medium"))

    merges = [call for call in api.calls if is_merge(call)]
    intermediate = [call for call in merges if "whole meeting" not in call.system_prompt]
    assert intermediate
    assert "whole meeting" in api.calls[-1].system_prompt
    assert merges[-1] is api.calls[-1]
    assert summary.title == f"answer {len(api.calls) - 1}"
