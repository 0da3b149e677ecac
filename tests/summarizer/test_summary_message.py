from __future__ import annotations

from services.summarizer.engine import ActionItem, StructuredSummary
from services.summarizer.worker import summary_message


def test_the_event_carries_due_dates_sections_and_name_suggestions_by_speaker_id() -> None:
    result = StructuredSummary(
        title="Launch planning",
        summary="The launch moves to December.",
        key_points=[],
        decisions=["Move the launch to 17 December."],
        action_items=[ActionItem("Tell the payment provider.", "Priya", "2026-11-13")],
        topics=[],
        language="en",
        provider="local-llm",
        model="qwen",
        built_from_sections=True,
        speaker_names={"Speaker 2": "Priya", "Nobody": "Zed"},
        notes=["This summary was built from 3 sections."],
    )

    message = summary_message(result, {"Speaker 2": "S2"})

    assert message.action_items[0].due == "2026-11-13"
    assert message.built_from_sections
    assert message.summary.endswith("This summary was built from 3 sections.")
    assert [(n.speaker_id, n.name) for n in message.speaker_names] == [("S2", "Priya")]
    assert (message.provider, message.model) == ("local-llm", "qwen")
