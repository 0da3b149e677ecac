"""Words lost or doubled where a fanned-out transcript was stitched.

The merged transcript's words are aligned with the unsplit transcript's (difflib over words
reduced to their letters and digits). Near a seam, a word of the unsplit transcript with no
counterpart is *lost*, a merged word with no counterpart is *doubled*; substitutions (the
decoder reading a word differently with other context) are neither, and the WER counts
them. Only words within `margin` seconds of a seam count, so differences elsewhere in the
recording are left to the WER. Differences at the very edge of a margin are not counted:
a word timed just inside it in one transcript may be just outside in the other.
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
    """Each seam on its own: the words of both transcripts starting within `margin` seconds
    of it, aligned (aligning whole transcripts would pair up repeated passages wrongly)."""
    lost = doubled = 0
    for seam in seams:
        before = [_key(w) for start, w in unsplit if abs(start - seam) <= margin]
        after = [_key(w) for start, w in merged if abs(start - seam) <= margin]
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for operation, i1, i2, j1, j2 in matcher.get_opcodes():
            if operation == "equal" or "".join(before[i1:i2]) == "".join(after[j1:j2]):
                continue  # equal, or the same letters split differently ("thy self")
            if min(i1, j1) == 0 or i2 == len(before) or j2 == len(after):
                # At the window's edge: a word timed just inside it in one transcript and
                # just outside in the other, not a word lost or doubled at the seam.
                continue
            # A replacement of n by n words is a misreading, not a loss.
            surplus = (j2 - j1) - (i2 - i1)
            lost += max(-surplus, 0)
            doubled += max(surplus, 0)
    return SeamErrors(lost, doubled)


def _key(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
