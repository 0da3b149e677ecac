"""`POST /v1/audio/transcriptions` through the real edge, driven by the official `openai` SDK
as any OpenAI-compatible tool would: an API key in, OpenAI's shapes out, the recording kept
in the caller's library."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest
import srt
import webvtt

from services.mesh.runner import Mesh
from tests.speech_api.conftest import KeyHolder

MODEL = "whisper-1"


@pytest.fixture
async def client(mesh: Mesh, holder: KeyHolder) -> AsyncIterator[openai.AsyncOpenAI]:
    base = f"http://127.0.0.1:{mesh.settings.envoy_port}/v1"
    async with openai.AsyncOpenAI(
        api_key=holder.api_key, base_url=base, timeout=600, max_retries=0
    ) as sdk:
        yield sdk


def said_it(text: str) -> bool:
    lowered = text.lower()
    return "monday" in lowered or "ship" in lowered


@pytest.mark.slow
async def test_json_and_text_answers_carry_the_transcript(
    client: openai.AsyncOpenAI, speech: Path
) -> None:
    as_json = await client.audio.transcriptions.create(model=MODEL, file=speech)
    assert said_it(as_json.text), as_json.text
    as_text = await client.audio.transcriptions.create(
        model=MODEL, file=speech, response_format="text", language="en"
    )
    assert isinstance(as_text, str)
    assert said_it(as_text), as_text


@pytest.mark.slow
async def test_subtitles_come_as_srt_and_vtt(client: openai.AsyncOpenAI, speech: Path) -> None:
    as_srt = await client.audio.transcriptions.create(
        model=MODEL, file=speech, response_format="srt"
    )
    cues = list(srt.parse(str(as_srt)))
    assert cues, as_srt
    assert said_it(" ".join(cue.content for cue in cues)), as_srt
    as_vtt = await client.audio.transcriptions.create(
        model=MODEL, file=speech, response_format="vtt"
    )
    assert str(as_vtt).startswith("WEBVTT")
    captions = webvtt.from_string(str(as_vtt))
    assert said_it(" ".join(c.text for c in captions.captions)), as_vtt


@pytest.mark.slow
async def test_verbose_json_has_segments_and_word_timestamps(
    client: openai.AsyncOpenAI, speech: Path
) -> None:
    verbose = await client.audio.transcriptions.create(
        model=MODEL,
        file=speech,
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert said_it(verbose.text)
    assert verbose.language == "en"
    assert 2 < verbose.duration < 15
    assert verbose.segments
    assert verbose.words
    assert all(0 <= w.start <= w.end <= verbose.duration + 1 for w in verbose.words)
    starts = [w.start for w in verbose.words]
    assert starts == sorted(starts)
    assert said_it(" ".join(w.word for w in verbose.words))
    assert verbose.segments[0].start <= verbose.words[0].start


@pytest.mark.slow
async def test_the_recording_is_kept_in_the_callers_library(
    client: openai.AsyncOpenAI, edge: httpx.AsyncClient, holder: KeyHolder, speech: Path
) -> None:
    await client.audio.transcriptions.create(model=MODEL, file=speech)
    listed = await edge.get(
        "/api/v1/documents", headers={"authorization": f"Bearer {holder.api_key}"}
    )
    assert listed.status_code == 200, listed.text
    [document] = listed.json()["documents"]
    assert document["original_file_name"] == speech.name
    assert said_it(document["transcript_text"]), document


async def test_a_bad_key_is_401_in_openais_error_shape(mesh: Mesh, speech: Path) -> None:
    base = f"http://127.0.0.1:{mesh.settings.envoy_port}/v1"
    async with openai.AsyncOpenAI(api_key="sf_wrong", base_url=base, max_retries=0) as sdk:
        with pytest.raises(openai.AuthenticationError) as refused:
            await sdk.audio.transcriptions.create(model=MODEL, file=speech)
    assert refused.value.status_code == 401
    assert refused.value.code == "invalid_api_key"


async def test_no_credentials_is_401(edge: httpx.AsyncClient, speech: Path) -> None:
    answer = await edge.post(
        "/v1/audio/transcriptions",
        data={"model": MODEL},
        files={"file": (speech.name, speech.read_bytes(), "audio/wav")},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("data", "with_file", "param"),
    [
        ({}, True, "model"),
        ({"model": MODEL}, False, "file"),
        ({"model": MODEL, "response_format": "mp3"}, True, "response_format"),
        (
            {"model": MODEL, "response_format": "json", "timestamp_granularities[]": "word"},
            True,
            "timestamp_granularities[]",
        ),
        (
            {"model": MODEL, "timestamp_granularities[]": "letter"},
            True,
            "timestamp_granularities[]",
        ),
        ({"model": MODEL, "language": "en; drop"}, True, "language"),
        ({"model": MODEL, "stream": "true"}, True, "stream"),
    ],
)
async def test_bad_fields_are_400_naming_the_field(
    edge: httpx.AsyncClient,
    holder: KeyHolder,
    speech: Path,
    data: dict[str, str],
    with_file: bool,
    param: str,
) -> None:
    files = {"file": (speech.name, speech.read_bytes(), "audio/wav")} if with_file else None
    answer = await edge.post(
        "/v1/audio/transcriptions",
        data=data,
        files=files,
        headers={"authorization": f"Bearer {holder.api_key}"},
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


async def test_a_file_over_the_limit_is_413(edge: httpx.AsyncClient, holder: KeyHolder) -> None:
    too_big = b"\0" * (25 * 1024 * 1024 + 1)
    answer = await edge.post(
        "/v1/audio/transcriptions",
        data={"model": MODEL},
        files={"file": ("big.wav", too_big, "audio/wav")},
        headers={"authorization": f"Bearer {holder.api_key}"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "file_too_large"


async def test_an_access_token_works_too_and_health_answers(
    edge: httpx.AsyncClient, holder: KeyHolder
) -> None:
    answer = await edge.post(
        "/v1/audio/transcriptions",
        data={"model": MODEL},
        headers={"authorization": f"Bearer {holder.access_token}"},
    )
    # Authenticated (not 401): the missing file is what is wrong.
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "file"
    unknown = await edge.get("/v1/audio/speech")
    assert unknown.status_code == 404
    assert "error" in unknown.json()


async def test_an_oversized_upload_without_a_length_is_413_too(
    edge: httpx.AsyncClient, holder: KeyHolder
) -> None:
    """Chunked, so no Content-Length to refuse up front: the adapter counts what arrives."""
    boundary = "speechflow-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n{MODEL}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    chunk = b"\0" * (1024 * 1024)

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(26):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = await edge.post(
        "/v1/audio/transcriptions",
        content=body(),
        headers={
            "authorization": f"Bearer {holder.api_key}",
            "content-type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "file_too_large"
