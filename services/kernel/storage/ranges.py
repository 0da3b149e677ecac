"""HTTP byte ranges (RFC 9110 §14) for serving stored files: what a media player sends to seek.

Only one range is answered; several ranges, a malformed header or a range past the end are
ignored and the whole file is served (RFC 9110 lets a server ignore Range), which every player
copes with, where a multipart answer or a 416 through the gRPC transcoder would not."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SINGLE_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` to `end` inclusive, as HTTP counts them."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one satisfiable range `header` asks for in a file of `size` bytes, else None."""
    match = _SINGLE_RANGE.fullmatch(header or "")
    if match is None or size <= 0:
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        if not last or int(last) == 0:
            return None
        return ByteRange(max(size - int(last), 0), size - 1)  # the last N bytes
    start = int(first)
    if start >= size:
        return None
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None
    return ByteRange(start, end)
