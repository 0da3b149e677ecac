"""Who said it: speaker names reach the summarizer and give first-person tasks an owner."""

from __future__ import annotations

import dataclasses

import pytest
from google.protobuf import json_format

from services.kernel.transcripts import duration, parse_transcript
from services.summarizer.engine import (
    ExtractiveProvider,
    OpenRouterProvider,
    Segment,
    SummaryRequest,
)
from services.summarizer.worker import engine_segments
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.summarizer.llm_answers import summary_json
from tests.summarizer.stand_in_llm_server import chat_completion, running_stand_in
from tests.summarizer.transcripts import timed

BUDGET_TALK = [
    ("Alice", "Okay, the marketing budget for the third quarter is forty thousand dollars."),
    ("Bob", "I will send the revised marketing budget to finance by Friday."),
    ("Alice", "Thanks, that works for everyone on the team."),
]


def _spoken_by(lines: list[tuple[str, str]]) -> list[Segment]:
    segments = timed([text for _, text in lines])
    return [
        dataclasses.replace(segment, speaker=speaker)
        for segment, (speaker, _) in zip(segments, lines, strict=True)
    ]


def _stored(speaker_ids: list[str]) -> library_pb2.Transcript:
    transcript = library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(index * 4.0),
                end_offset=duration(index * 4.0 + 3.5),
                text=f"Line {index}.",
                speaker_id=speaker_id,
            )
            for index, speaker_id in enumerate(speaker_ids)
        ],
        speakers=[
            library_pb2.Speaker(id="S1", display_name="Alice"),
            library_pb2.Speaker(id="S2", display_name="Speaker 2"),
        ],
    )
    return parse_transcript(json_format.MessageToJson(transcript))


@pytest.mark.asyncio
async def test_language_model_receives_each_line_with_its_speakers_name() -> None:
    request = SummaryRequest(_spoken_by(BUDGET_TALK), "en", "short")

    with running_stand_in(lambda call, n: chat_completion(summary_json("Budget"))) as api:
        provider = OpenRouterProvider("test-key", base_url=f"{api.url}/api/v1", models=["m"])
        await provider.summarize(request)

    [call] = api.calls
    lines = call.user_prompt.splitlines()
    assert lines[0] == "Transcript:"
    assert [line.split("] ", 1)[1].split(":", 1)[0] for line in lines[1:]] == [
        "Alice",
        "Bob",
        "Alice",
    ]
    assert "Bob: I will send the revised marketing budget to finance by Friday." in lines[2]
    assert "speaker's name" in call.system_prompt


@pytest.mark.asyncio
async def test_extractive_action_item_in_the_first_person_is_owned_by_its_speaker() -> None:
    request = SummaryRequest(_spoken_by(BUDGET_TALK), "en", "short")

    summary = await ExtractiveProvider().summarize(request)

    [item] = [item for item in summary.action_items if "revised marketing budget" in item.text]
    assert item.owner == "Bob"


@pytest.mark.asyncio
async def test_a_named_owner_wins_over_the_speaker() -> None:
    lines = [("Alice", "Sarah will send the revised marketing budget to finance by Friday.")]

    summary = await ExtractiveProvider().summarize(SummaryRequest(_spoken_by(lines), "en", "short"))

    assert [item.owner for item in summary.action_items] == ["Sarah"]


@pytest.mark.asyncio
async def test_without_speakers_a_first_person_task_has_no_owner() -> None:
    request = SummaryRequest(timed([text for _, text in BUDGET_TALK]), "en", "short")

    summary = await ExtractiveProvider().summarize(request)

    [item] = [item for item in summary.action_items if "revised marketing budget" in item.text]
    assert item.owner is None


@pytest.mark.asyncio
async def test_a_sentence_never_spans_two_speakers() -> None:
    # No final punctuation: without turns, both lines would read as one sentence.
    lines = [("Alice", "so who takes the budget"), ("Bob", "I will send the budget tomorrow")]

    summary = await ExtractiveProvider().summarize(SummaryRequest(_spoken_by(lines), "en", "short"))

    [item] = summary.action_items
    assert (item.text, item.owner) == ("I will send the budget tomorrow", "Bob")


def test_stored_transcript_with_two_voices_gives_segments_their_display_names() -> None:
    segments = engine_segments(_stored(["S1", "S1", "S2"]))

    assert [segment.speaker for segment in segments] == ["Alice", "Alice", "Speaker 2"]
    assert (segments[2].start, segments[2].end, segments[2].text) == (8.0, 11.5, "Line 2.")


def test_one_voice_or_a_legacy_transcript_gives_no_names() -> None:
    legacy = events_pb2.Transcript(
        segments=[events_pb2.Segment(start_seconds=1.0, end_seconds=2.0, text="Old.")]
    )

    assert [s.speaker for s in engine_segments(_stored(["S1", "S1"]))] == ["", ""]
    assert engine_segments(parse_transcript(json_format.MessageToJson(legacy))) == [
        Segment(1.0, 2.0, "Old.")
    ]
