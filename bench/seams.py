"""Words lost or doubled where a fanned-out transcript was stitched.

The merged transcript's words are aligned with the unsplit transcript's (difflib over words
reduced to their letters and digits). Near a seam, a word of the unsplit transcript with no
counterpart is *lost*, a merged word with no counterpart is *doubled*; substitutions (the
decoder reading a word differently with other context) are neither, and the WER counts
them. Only words within `margin` seconds of a seam count, so differences elsewhere in the
recording are left to the WER.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

TimedWord = tuple[float, str]  # start seconds, text


@dataclass(frozen=True)
class SeamErrors:
    lost: int
    doubled: int


def seam_errors(
    unsplit: Sequence[TimedWord],
    merged: Sequence[TimedWord],
    seams: Sequence[float],
    margin: float,
) -> SeamErrors:
    def near(start: float) -> bool:
        return any(abs(start - seam) <= margin for seam in seams)

    before, after = [_key(w) for _, w in unsplit], [_key(w) for _, w in merged]
    lost = doubled = 0
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            continue
        if "".join(before[i1:i2]) == "".join(after[j1:j2]):
            continue  # the same letters split differently ("thy self" / "thyself")
        missing = [unsplit[i][0] for i in range(i1, i2)]
        extra = [merged[j][0] for j in range(j1, j2)]
        surplus = len(extra) - len(missing)
        # A replacement of n by n words is a misreading, not a loss.
        if surplus < 0 and any(near(start) for start in missing):
            lost -= surplus
        elif surplus > 0 and any(near(start) for start in extra):
            doubled += surplus
    return SeamErrors(lost, doubled)


def _key(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
