"""The commitment pass: a second question about which numbered lines commit someone to a
task, whose answer the transcript then grounds (owners from the line, small talk dropped).

The model is scripted (a unit test of the pass and its grounding); the real local model runs
in test_local_llm.py and in case 12 of the benchmark."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from services.summarizer.engine import Segment, SummaryRequest
from services.summarizer.engine.chain import ProviderChain
from services.summarizer.engine.deadline import seconds_left
from services.summarizer.engine.extractive import ExtractiveProvider
from services.summarizer.engine.llm_provider import LlmSummaryProvider
from services.summarizer.engine.prompts import Prompt
from tests.summarizer.llm_answers import summary_json

TALK = [
    ("Speaker 1", "Morning. Omar, how was the concert on Saturday?"),
    ("Speaker 2", "Loud but fun. I'll send you the photos of the concert."),
    ("Speaker 1", "Right, the backlog. Omar, could you change the queue order in the help desk?"),
    ("Speaker 2", "Sure, this afternoon."),
    ("Speaker 3", "And I will call the retailer on Monday about the workaround."),
    ("Speaker 1", "Thanks, Nina."),
    ("Speaker 2", "Nina, I'll lend you my tent for the lake."),
    ("Speaker 1", "So we keep the old pricing for the pilot."),
    ("Speaker 3", "Should we also close the old tickets?"),
    ("Speaker 1", "That is too slow. We switch to the new courier."),
]


def cited(
    line: int, kind: str, text: str, owner: str | None = None, due: str | None = None
) -> dict[str, Any]:
    """One line of the second pass's answer."""
    return {"line": line, "kind": kind, "text": text, "owner": owner, "due": due}


# A summary with neither action items nor decisions of its own.
NOTHING_NOTED = summary_json(action_items=[], decisions=[])


def _request() -> SummaryRequest:
    segments = [Segment(i * 5.0, i * 5.0 + 4, text, who) for i, (who, text) in enumerate(TALK)]
    return SummaryRequest(
        segments, "en", "short", transcript_language="en", recording_date=date(2026, 11, 3)
    )


class ScriptedModel(LlmSummaryProvider):
    """Answers the summary prompt and the commitment prompt with fixed JSON."""

    commitment_pass = True

    def __init__(self, commitments: Any, summary: str | None = None) -> None:
        super().__init__(
            name="scripted", models=["m"], timeout=30, chunk_token_budget=4000, max_parallel_calls=1
        )
        self._commitments = commitments
        self._summary = summary or summary_json(action_items=[])
        self.prompts: list[Prompt] = []
        self.deadlines: list[float | None] = []

    async def _complete(self, model: str, prompt: Prompt) -> str:
        self.prompts.append(prompt)
        self.deadlines.append(seconds_left())
        if prompt.schema_name == "meeting_commitments":
            return (
                self._commitments
                if isinstance(self._commitments, str)
                else json.dumps({"lines": self._commitments})
            )
        return self._summary


@pytest.mark.asyncio
async def test_owners_come_from_the_cited_line_not_from_the_models_guess() -> None:
    model = ScriptedModel(
        [
            cited(3, "task", "Change the queue order", owner="Speaker 1"),
            cited(5, "task", "Call the retailer", owner="I", due="Monday"),
        ]
    )

    summary = await model.summarize(_request())

    items = {item.text: (item.owner, item.due) for item in summary.action_items}
    # "Omar, could you …" is Omar's; "I will call …" is its speaker's, named by "Thanks, Nina".
    assert items["Change the queue order"] == ("Omar", "2026-11-03")
    assert items["Call the retailer"] == ("Nina", "2026-11-09")


@pytest.mark.asyncio
async def test_a_commitment_said_in_small_talk_is_dropped() -> None:
    model = ScriptedModel([cited(2, "task", "Send the concert photos", owner="Speaker 2")])

    summary = await model.summarize(_request())

    assert summary.action_items == []


@pytest.mark.asyncio
async def test_a_line_the_model_labels_small_talk_is_no_task() -> None:
    # Tents and lakes are on no list of small-talk subjects: the label alone drops it.
    model = ScriptedModel(
        [cited(7, "small talk", "Lend the tent", owner="I")],
        summary=NOTHING_NOTED,
    )

    summary = await model.summarize(_request())

    assert summary.action_items == []
    assert summary.decisions == []


@pytest.mark.asyncio
async def test_a_decision_listed_as_a_task_is_a_decision() -> None:
    model = ScriptedModel(
        [cited(8, "task", "Keep the old pricing", owner="Speaker 1")],
        summary=NOTHING_NOTED,
    )

    summary = await model.summarize(_request())

    assert summary.action_items == []
    assert summary.decisions == ["Keep the old pricing"]


@pytest.mark.asyncio
async def test_a_decision_stated_after_another_sentence_is_a_decision() -> None:
    model = ScriptedModel(
        [cited(10, "task", "Switch to the new courier", owner="Speaker 1")],
        summary=NOTHING_NOTED,
    )

    summary = await model.summarize(_request())

    assert summary.action_items == []
    assert summary.decisions == ["Switch to the new courier"]


@pytest.mark.asyncio
async def test_a_question_that_asks_nobody_is_no_task() -> None:
    model = ScriptedModel(
        [cited(9, "task", "Close the old tickets", owner="Speaker 3")], summary=NOTHING_NOTED
    )

    summary = await model.summarize(_request())

    assert summary.action_items == []


@pytest.mark.parametrize("number", [8, 1])  # a few lines off; the answer's own item count
@pytest.mark.asyncio
async def test_a_line_number_off_is_corrected_by_the_wording(number: int) -> None:
    model = ScriptedModel([cited(number, "task", "Call the retailer about the workaround")])

    summary = await model.summarize(_request())

    assert [(i.text, i.owner, i.due) for i in summary.action_items] == [
        ("Call the retailer about the workaround", "Nina", "2026-11-09")
    ]


@pytest.mark.asyncio
async def test_a_request_labelled_a_decision_is_still_a_task() -> None:
    model = ScriptedModel(
        [cited(3, "decision", "Change the queue order")],
        summary=NOTHING_NOTED,
    )

    summary = await model.summarize(_request())

    assert [(i.text, i.owner) for i in summary.action_items] == [("Change the queue order", "Omar")]
    assert summary.decisions == []


@pytest.mark.asyncio
async def test_a_decision_the_summary_has_from_the_same_line_is_not_repeated() -> None:
    own = summary_json(action_items=[], decisions=["The pilot keeps the old pricing"])
    model = ScriptedModel(
        [cited(8, "decision", "Keep old pricing")],
        summary=own,
    )

    summary = await model.summarize(_request())

    assert summary.decisions == ["The pilot keeps the old pricing"]


@pytest.mark.asyncio
async def test_the_summarys_own_items_are_kept_only_where_the_line_names_the_owner() -> None:
    # The summary's items come back as near-copies of the pass's with guessed owners, and
    # hold decisions: one is kept only when its line, uncited by the pass, says who does it.
    own = summary_json(
        action_items=[
            {"text": "Phone the retailer about the workaround", "owner": "Speaker 1"},
            {"text": "Keep the old pricing for the pilot", "owner": "Speaker 1"},
        ]
    )
    model = ScriptedModel([cited(3, "task", "Change the queue order")], summary=own)

    summary = await model.summarize(_request())

    assert [(i.text, i.owner) for i in summary.action_items] == [
        ("Change the queue order", "Omar"),
        ("Phone the retailer about the workaround", "Nina"),
    ]


@pytest.mark.asyncio
async def test_a_request_and_its_answer_cited_apart_are_one_task() -> None:
    model = ScriptedModel(
        [
            cited(3, "task", "Change the queue order", owner="Omar"),
            cited(4, "task", "Change the queue order today", owner="Speaker 2"),
        ]
    )

    summary = await model.summarize(_request())

    assert [item.text for item in summary.action_items] == ["Change the queue order"]


@pytest.mark.asyncio
async def test_a_due_the_talk_never_said_is_not_kept() -> None:
    model = ScriptedModel(
        [cited(5, "task", "Call the retailer", owner="Nina", due="next Thursday")]
    )

    summary = await model.summarize(_request())

    [item] = summary.action_items
    assert item.due == "2026-11-09"  # "on Monday", as said; not the invented Thursday


@pytest.mark.asyncio
async def test_the_commitment_prompt_numbers_the_speaker_labelled_lines() -> None:
    model = ScriptedModel([])

    await model.summarize(_request())

    [commitment_prompt] = [p for p in model.prompts if p.schema_name == "meeting_commitments"]
    assert "L3 Speaker 1: Right, the backlog." in commitment_prompt.user
    assert "small talk" in commitment_prompt.system


@pytest.mark.asyncio
async def test_when_the_commitment_pass_fails_the_summarys_own_items_stay() -> None:
    own = summary_json(
        action_items=[{"text": "Call the retailer about the workaround", "owner": "Speaker 3"}]
    )
    model = ScriptedModel("not json at all", summary=own)

    summary = await model.summarize(_request())

    assert [(i.text, i.owner) for i in summary.action_items] == [
        ("Call the retailer about the workaround", "Nina")
    ]


@pytest.mark.asyncio
async def test_the_chains_time_budget_reaches_every_model_call() -> None:
    model = ScriptedModel([])

    await ProviderChain([model, ExtractiveProvider()], time_budget=120).summarize(_request())

    assert len(model.deadlines) == 2
    assert all(left is not None and 0 < left <= 120 for left in model.deadlines)
