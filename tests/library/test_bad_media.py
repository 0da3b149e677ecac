"""Recordings that cannot be transcribed as sent are refused at upload, by every way in,
with INVALID_ARGUMENT and a reason a person understands; nothing is left behind."""

from __future__ import annotations

import wave
from collections.abc import Awaitable, Callable
from fractions import Fraction
from pathlib import Path

import av
import grpc
import numpy as np
import pytest

from speechflow.library.v1 import library_pb2
from tests import media
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import upload, upload_raw_body, upload_resumable

Code = grpc.StatusCode
Upload = Callable[[LibraryHarness, User, Path], Awaitable[library_pb2.Document]]
WAYS_IN: dict[str, Upload] = {
    "UploadDocument": upload,
    "UploadDocumentContent": upload_raw_body,
    "FinishUpload": upload_resumable,
}
ways_in = pytest.mark.parametrize("send", WAYS_IN.values(), ids=WAYS_IN.keys())


def write_aiff(samples: media.Samples, rate: int, path: Path) -> Path:
    with av.open(str(path), mode="w", format="aiff") as container:
        stream = container.add_stream("pcm_s16be", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        assert isinstance(stream, av.AudioStream)
        for packet in stream.encode(frame):
            container.mux(packet)
        container.mux(stream.encode(None))
    return path


def write_silent_flac(path: Path, seconds: int, rate: int = 16000) -> Path:
    """Hours of silence compress to almost nothing in FLAC: a decompression bomb in miniature."""
    block = np.zeros((1, rate * 10), dtype=np.int16)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        for index in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = index * block.shape[1]
            frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def tone(seconds: float, rate: int = 16000) -> media.Samples:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


async def assert_nothing_left(lib: LibraryHarness, user: User) -> None:
    listed = await lib.library.ListDocuments(
        library_pb2.ListDocumentsRequest(), metadata=user.metadata
    )
    assert list(listed.documents) == []
    assert lib.stored_keys(user) == []
    assert lib.spool_files() == []


async def rejected(
    lib: LibraryHarness, send: Upload, path: Path, reason: str
) -> grpc.aio.AioRpcError:
    user = lib.user()
    error = await call_fails(send(lib, user, path), Code.INVALID_ARGUMENT)
    assert error_info(error).reason == reason, error.details()
    await assert_nothing_left(lib, user)
    return error


@ways_in
async def test_wav_cut_to_a_third_is_rejected_as_truncated(
    lib: LibraryHarness, speech_wav: Path, tmp_path: Path, send: Upload
) -> None:
    cut = media.truncate_file(speech_wav, tmp_path / "cut.wav", keep_fraction=1 / 3)
    error = await rejected(lib, send, cut, "TRUNCATED_MEDIA")
    assert "incomplete" in (error.details() or "")


@ways_in
async def test_truncated_aiff_is_rejected(
    lib: LibraryHarness, tmp_path: Path, send: Upload
) -> None:
    whole = write_aiff(tone(3.0), 16000, tmp_path / "whole.aiff")
    cut = media.truncate_file(whole, tmp_path / "cut.aiff", keep_fraction=1 / 3)
    await rejected(lib, send, cut, "TRUNCATED_MEDIA")


async def test_complete_aiff_is_accepted(lib: LibraryHarness, tmp_path: Path) -> None:
    document = await upload(lib, lib.user(), write_aiff(tone(3.0), 16000, tmp_path / "a.aiff"))
    assert document.content_type == "audio/aiff"
    assert document.duration.ToTimedelta().total_seconds() == pytest.approx(3.0, abs=0.05)


@ways_in
async def test_sixty_byte_wav_is_too_short(
    lib: LibraryHarness, tmp_path: Path, send: Upload
) -> None:
    path = tmp_path / "tiny.wav"
    with wave.open(str(path), "wb") as tiny:  # 44 bytes of header, 8 samples
        tiny.setnchannels(1)
        tiny.setsampwidth(2)
        tiny.setframerate(16000)
        tiny.writeframes(bytes(16))
    assert path.stat().st_size == 60
    error = await rejected(lib, send, path, "MEDIA_TOO_SHORT")
    assert "too short" in (error.details() or "")


async def test_recording_of_a_third_of_a_second_is_too_short(
    lib: LibraryHarness, tmp_path: Path
) -> None:
    short = media.write_audio(tone(0.3), 16000, tmp_path / "short.flac")
    await rejected(lib, upload, short, "MEDIA_TOO_SHORT")


@pytest.mark.library_settings(max_duration_seconds=3600)
@ways_in
async def test_two_hours_of_silent_flac_exceed_a_one_hour_limit(
    lib: LibraryHarness, tmp_path: Path, send: Upload
) -> None:
    bomb = write_silent_flac(tmp_path / "silence.flac", seconds=2 * 3600)
    assert bomb.stat().st_size < 2_000_000  # small enough to pass every size limit
    error = await rejected(lib, send, bomb, "MEDIA_TOO_LONG")
    assert "1 h limit" in (error.details() or "")
    assert error_info(error).metadata["max_seconds"] == "3600"


@pytest.mark.library_settings(max_duration_seconds=3600)
async def test_recording_within_the_duration_limit_is_accepted(
    lib: LibraryHarness, tmp_path: Path
) -> None:
    document = await upload(lib, lib.user(), write_silent_flac(tmp_path / "s.flac", seconds=600))
    assert document.duration.ToTimedelta().total_seconds() == pytest.approx(600, abs=1)
