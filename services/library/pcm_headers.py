"""What the header of an uncompressed WAV or AIFF file promises, compared with what it holds.

FFmpeg reads a truncated WAV quietly, as a shorter recording (it trusts the file size over the
header), so a file cut mid-upload would be transcribed as if it were whole. The RIFF and IFF
chunk headers say how many bytes of samples follow; reading them needs a dozen bytes per chunk.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A header with more chunks than this before the samples is not one a recorder writes.
MAX_CHUNKS = 64
# Streaming writers that cannot seek back leave these "size unknown" placeholders.
UNKNOWN_SIZES = frozenset({0, 0xFFFFFFFF})


@dataclass(frozen=True)
class SampleData:
    declared_bytes: int
    present_bytes: int

    @property
    def truncated(self) -> bool:
        return self.present_bytes < self.declared_bytes


def sample_data(path: Path) -> SampleData | None:
    """The sample chunk of a WAV (RIFF/RIFX) or AIFF/AIFC file; None for any other format, or
    when the header does not say its size."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(12)
        if len(head) < 12:
            return None
        if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
            order = "<" if head[:4] == b"RIFF" else ">"
            return _find_chunk(file, size, order, b"data", payload_header=0)
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            # SSND starts with 8 bytes (offset, block size) before the samples.
            return _find_chunk(file, size, ">", b"SSND", payload_header=8)
    return None


def _find_chunk(
    file: BinaryIO, file_size: int, order: str, wanted: bytes, *, payload_header: int
) -> SampleData | None:
    offset = 12
    for _ in range(MAX_CHUNKS):
        file.seek(offset)
        header = file.read(8)
        if len(header) < 8:
            return None
        chunk_id, chunk_size = header[:4], struct.unpack(f"{order}I", header[4:])[0]
        if chunk_id == wanted:
            if chunk_size in UNKNOWN_SIZES:
                return None
            present = max(0, file_size - offset - 8 - payload_header)
            return SampleData(max(0, chunk_size - payload_header), present)
        offset += 8 + chunk_size + (chunk_size & 1)  # chunks are padded to an even size
    return None
