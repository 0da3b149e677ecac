"""Chunk results -> one transcript: words stitched at the seams, speakers matched by voice.

Seams. A chunk's audio ends at its cut; the next chunk's audio starts `overlap` seconds
before it (plan.py), so the words of that overlap come twice, timed slightly differently,
and each chunk may mishear the word its own edge cuts into. The stitch looks for an
*anchor*: a word both chunks heard (same letters, start times within
TIMING_TOLERANCE_SECONDS) nearest the middle of the overlap, i.e. as far from both chunks'
edges as possible. Everything before the anchor comes from the earlier chunk, the anchor
once, everything after it from the later one. Where the chunks share no word there (the cut
fell in a pause, or they disagree), the earlier chunk's words all stay and the later chunk
adds the words after the earlier one's last word: Whisper sometimes drops an utterance that
the end of its audio cuts off, and the later chunk, which heard it whole, fills it in.

Speakers. Each chunk was diarized on its own, so its speaker numbers are local. They are
matched to the recording's speakers by voice with the same GlobalSpeakers the windowed
transcriber uses between its windows (speaker_labelling.py), fed the chunks in order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from services.transcriber.engine.speaker_labelling import GlobalSpeakers
from services.transcriber.engine.speakers import transcript_from_words
from services.transcriber.engine.transcript import Transcript, Word
from services.transcriber.fanout.result import ChunkResult

# Two chunks time the same word within about this much of each other (word timestamps of
# faster-whisper are ~0.1-0.3 s apart between two decodes of the same audio).
TIMING_TOLERANCE_SECONDS = 0.5


def merge_chunks(
    results: Sequence[ChunkResult],
    overlap_seconds: float,
    *,
    min_speakers: int = 0,
    max_speakers: int = 0,
) -> Transcript:
    """The recording's transcript from every chunk's result (any order, none missing)."""
    if not results:
        raise ValueError("no chunk results to merge")
    ordered = sorted(results, key=lambda result: result.index)
    words = stitch_words(
        [(result.keep_start, result.timed_words()) for result in ordered], overlap_seconds
    )
    speakers = GlobalSpeakers()
    for result in ordered:
        speakers.add(result.audio_offset, result.voiced_turns())
    first = ordered[0]
    return transcript_from_words(
        words,
        speakers.turns(min_speakers, max_speakers),
        language=first.language,
        duration=ordered[-1].keep_end,
        model=first.model,
    )


def stitch_words(
    chunks: Sequence[tuple[float, Sequence[Word]]], overlap_seconds: float
) -> list[Word]:
    """`chunks` in order as (keep_start, words in recording time); the seam between two
    chunks is the right one's keep_start."""
    if not chunks:
        return []
    merged = list(chunks[0][1])
    for seam, words in chunks[1:]:
        merged = stitch_seam(merged, words, seam, overlap_seconds)
    return merged


def stitch_seam(
    left: Sequence[Word], right: Sequence[Word], seam: float, overlap_seconds: float
) -> list[Word]:
    """The earlier chunk's words, then the later one's, each word once (see the module
    docstring); `right`'s audio starts `overlap_seconds` before `seam`."""
    anchor = _anchor(left, right, seam - overlap_seconds, seam)
    if anchor is not None:
        at_left, at_right = anchor
        return [*left[: at_left + 1], *right[at_right + 1 :]]
    if not left:
        return list(right)
    last_end = left[-1].end
    return [*left, *(word for word in right if _middle(word) >= last_end)]


def _anchor(
    left: Sequence[Word], right: Sequence[Word], low: float, high: float
) -> tuple[int, int] | None:
    """(index in left, index in right) of the word both heard nearest the middle of the
    overlap [low, high), if any."""
    middle = (low + high) / 2
    near_left = [(i, _key(w)) for i, w in enumerate(left) if w.end > low and w.start < high]
    near_right = [(j, _key(w)) for j, w in enumerate(right) if w.end > low and w.start < high]
    best: tuple[float, int, int] | None = None
    for i, text in near_left:
        if not text:
            continue
        for j, other in near_right:
            if other != text or abs(left[i].start - right[j].start) > TIMING_TOLERANCE_SECONDS:
                continue
            distance = abs((_middle(left[i]) + _middle(right[j])) / 2 - middle)
            if best is None or distance < best[0]:
                best = (distance, i, j)
    return None if best is None else (best[1], best[2])


def _key(word: Word) -> str:
    """What two decodes of one word share: its letters and digits, case folded."""
    return "".join(
        char for char in unicodedata.normalize("NFKC", word.text).casefold() if char.isalnum()
    )


def _middle(word: Word) -> float:
    return (word.start + word.end) / 2
