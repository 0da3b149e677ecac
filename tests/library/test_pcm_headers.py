"""Reading what a WAV or AIFF header promises, without FFmpeg (which trusts the file size)."""

from __future__ import annotations

import struct
from pathlib import Path

from services.library.pcm_headers import sample_data


def wav_bytes(declared: int, present: int, extra_chunk: bytes = b"") -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunk
    body += b"data" + struct.pack("<I", declared) + bytes(present)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_wav_with_all_its_samples_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(declared=3200, present=3200))
    found = sample_data(path)
    assert found is not None
    assert not found.truncated


def test_wav_missing_samples_is_truncated_even_after_an_odd_sized_chunk(tmp_path: Path) -> None:
    # A 3-byte LIST chunk is padded to 4: the walk must skip the pad byte to find `data`.
    odd = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\0"
    path = tmp_path / "cut.wav"
    path.write_bytes(wav_bytes(declared=3200, present=1000, extra_chunk=odd))
    found = sample_data(path)
    assert found is not None
    assert found.truncated
    assert (found.declared_bytes, found.present_bytes) == (3200, 1000)


def test_streamed_wav_with_an_unknown_size_is_not_judged(tmp_path: Path) -> None:
    path = tmp_path / "live.wav"
    path.write_bytes(wav_bytes(declared=0xFFFFFFFF, present=1000))
    assert sample_data(path) is None


def test_aiff_sound_chunk_counts_its_offset_fields(tmp_path: Path) -> None:
    samples = 2000
    ssnd = b"SSND" + struct.pack(">I", 8 + samples) + struct.pack(">II", 0, 0)
    path = tmp_path / "cut.aiff"
    path.write_bytes(b"FORM" + struct.pack(">I", 0) + b"AIFF" + ssnd + bytes(samples // 2))
    found = sample_data(path)
    assert found is not None
    assert (found.declared_bytes, found.present_bytes) == (2000, 1000)


def test_other_formats_are_left_to_ffmpeg(tmp_path: Path) -> None:
    path = tmp_path / "x.mp3"
    path.write_bytes(b"ID3" + bytes(100))
    assert sample_data(path) is None
