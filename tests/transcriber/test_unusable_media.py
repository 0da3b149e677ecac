"""Uploads that can never be transcribed fail permanently with a message for people.

Decoding happens before any model loads, so these tests need no whisper model.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from services.transcriber.engine import (
    EngineSettings,
    PermanentTranscriptionError,
    TranscriptionEngine,
    TranscriptionError,
    TranscriptionOptions,
)
from tests.media import (
    make_video_with_audio,
    make_video_without_audio,
    truncate_file,
    write_audio,
    write_random_bytes,
)


@pytest.fixture
def idle_engine(tmp_path: Path) -> TranscriptionEngine:
    return TranscriptionEngine(EngineSettings(cache_dir=tmp_path))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
def test_video_without_audio_track_is_rejected_with_a_clear_message(
    idle_engine: TranscriptionEngine, tmp_path: Path, suffix: str
) -> None:
    video = make_video_without_audio(tmp_path / f"silent{suffix}")

    with pytest.raises(PermanentTranscriptionError) as raised:
        idle_engine.transcribe(video, TranscriptionOptions(language="en"))

    assert str(raised.value) == "The file has no audio track"


def test_random_bytes_are_rejected_as_undecodable(
    idle_engine: TranscriptionEngine, tmp_path: Path
) -> None:
    garbage = write_random_bytes(tmp_path / "recording.mp3")

    with pytest.raises(PermanentTranscriptionError) as raised:
        idle_engine.transcribe(garbage, TranscriptionOptions(language="en"))

    assert str(raised.value).startswith("The file could not be decoded as audio/video: ")
    assert str(tmp_path) not in str(raised.value)


def test_random_bytes_from_a_stream_are_rejected_as_undecodable(
    idle_engine: TranscriptionEngine,
) -> None:
    with pytest.raises(PermanentTranscriptionError, match="could not be decoded"):
        idle_engine.transcribe(
            io.BytesIO(b"\x00\x01 not media" * 500), TranscriptionOptions(language="")
        )


def test_truncated_mp4_is_rejected_as_undecodable(
    idle_engine: TranscriptionEngine, english_wav: Path, tmp_path: Path
) -> None:
    # MP4 keeps its index at the end, so an interrupted upload cannot be read at all.
    video = make_video_with_audio(english_wav, tmp_path / "meeting.mp4")
    cut = truncate_file(video, tmp_path / "cut.mp4", keep_fraction=0.5)

    with pytest.raises(PermanentTranscriptionError, match="could not be decoded"):
        idle_engine.transcribe(cut, TranscriptionOptions(language="en"))


def test_empty_file_is_rejected_as_undecodable(
    idle_engine: TranscriptionEngine, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")

    with pytest.raises(PermanentTranscriptionError, match="could not be decoded"):
        idle_engine.transcribe(empty, TranscriptionOptions(language="en"))


def test_audio_track_without_samples_is_rejected(
    idle_engine: TranscriptionEngine, tmp_path: Path
) -> None:
    wav = write_audio(np.zeros(8000, dtype=np.int16), 16000, tmp_path / "short.wav")
    data = wav.read_bytes()
    header_only = tmp_path / "header.wav"
    # Everything up to the start of the sample data survives, no sample does.
    header_only.write_bytes(data[: data.index(b"data") + 8])

    with pytest.raises(PermanentTranscriptionError) as raised:
        idle_engine.transcribe(header_only, TranscriptionOptions(language="en"))

    assert str(raised.value) == "The file's audio track is empty"


def test_missing_file_is_a_transient_error(
    idle_engine: TranscriptionEngine, tmp_path: Path
) -> None:
    with pytest.raises(TranscriptionError) as raised:
        idle_engine.transcribe(tmp_path / "gone.wav", TranscriptionOptions(language="en"))

    assert not isinstance(raised.value, PermanentTranscriptionError)
