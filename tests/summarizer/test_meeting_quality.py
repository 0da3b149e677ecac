"""The extractive fallback on a meeting script: owners, due dates, decisions, no small talk."""

from __future__ import annotations

import pytest

from services.summarizer.engine import ExtractiveProvider
from tests.summarizer.meeting_scripts import load_meetings, score


@pytest.mark.asyncio
async def test_extractive_notes_of_the_launch_meeting_name_owners_and_dates() -> None:
    [meeting] = [m for m in load_meetings() if m.name == "product_launch"]

    summary = await ExtractiveProvider().summarize(meeting.request())
    result = score(summary, meeting)

    assert result.action_recall_with_owner_and_due >= 0.75
    assert result.action_precision >= 0.75
    assert result.decision_recall >= 2 / 3
    assert result.leaked_small_talk == 0
    assert not any("football" in text for text in [summary.summary, *summary.key_points])
    assert summary.speaker_names == meeting.speakers
    owners = {item.owner for item in summary.action_items}
    assert {"Priya", "Daniel", "Maria"} <= owners
    assert "Let me" not in " ".join(item.text for item in summary.action_items)


@pytest.mark.asyncio
async def test_every_script_keeps_the_extractive_goal() -> None:
    meetings = load_meetings()
    assert len(meetings) >= 5
    scores = [score(await ExtractiveProvider().summarize(m.request()), m) for m in meetings]

    expected = sum(s.expected_actions for s in scores)
    assert sum(s.right_owner for s in scores) / expected >= 0.5
    assert sum(s.leaked_small_talk for s in scores) == 0
