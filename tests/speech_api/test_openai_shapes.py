"""The form's rules and OpenAI's answer shapes, without a server."""

from __future__ import annotations

import pytest

from services.kernel.transcripts import duration
from services.speech_api.openai_shapes import (
    Granularity,
    OpenAIError,
    ResponseFormat,
    parse_request,
    verbose_json_body,
)
from speechflow.library.v1 import library_pb2


def transcript() -> library_pb2.Transcript:
    words = [
        library_pb2.TranscriptWord(
            text=" Ship", start_offset=duration(0.5), end_offset=duration(0.9)
        ),
        library_pb2.TranscriptWord(
            text=" Monday.", start_offset=duration(1.0), end_offset=duration(1.6)
        ),
    ]
    segment = library_pb2.TranscriptSegment(
        text="Ship Monday.", start_offset=duration(0.4), end_offset=duration(1.7), words=words
    )
    return library_pb2.Transcript(segments=[segment], language="en")


def test_defaults_are_json_with_segment_timestamps() -> None:
    asked = parse_request(
        model="whisper-1", language=None, prompt=None, response_format=None, granularities=[]
    )
    assert asked.response_format is ResponseFormat.JSON
    assert asked.granularities == {Granularity.SEGMENT}


def test_a_missing_model_names_the_field() -> None:
    with pytest.raises(OpenAIError) as refused:
        parse_request(model=" ", language="", prompt="", response_format="", granularities=[])
    assert (refused.value.status, refused.value.param) == (400, "model")
    assert refused.value.body()["error"]["type"] == "invalid_request_error"


def test_word_timestamps_only_come_with_verbose_json() -> None:
    with pytest.raises(OpenAIError) as refused:
        parse_request(
            model="m", language="", prompt="", response_format="text", granularities=["word"]
        )
    assert refused.value.param == "timestamp_granularities[]"


def test_verbose_json_has_the_granularities_asked_for() -> None:
    words_only = verbose_json_body(
        transcript(),
        duration_seconds=2.0,
        language="en",
        granularities=frozenset({Granularity.WORD}),
    )
    assert words_only["words"] == [
        {"word": "Ship", "start": 0.5, "end": 0.9},
        {"word": "Monday.", "start": 1.0, "end": 1.6},
    ]
    assert "segments" not in words_only
    both = verbose_json_body(
        transcript(),
        duration_seconds=2.0,
        language="en",
        granularities=frozenset(Granularity),
    )
    assert both["segments"][0]["start"] == 0.4
    assert both["segments"][0]["text"] == "Ship Monday."
    assert (both["text"], both["duration"], both["language"]) == ("Ship Monday.", 2.0, "en")
