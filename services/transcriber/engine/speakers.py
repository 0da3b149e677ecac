"""Words + speaker turns -> segments: sentences or phrases, each said by one speaker.

Pure functions, no I/O. The steps, in order:

1. Every word takes the speaker whose turn overlaps it most (no overlap: the nearest turn;
   no turns at all: one speaker).
2. Words are cut into sentences at sentence-final punctuation and at long pauses.
3. Inside a sentence, a short run of words given to another speaker is taken back by its
   neighbours: diarization windows are ~1.5 s wide, so a turn boundary lands up to a second
   off and the last words of a sentence would otherwise jump to the next speaker. Only a run
   long enough to be a real change of speaker splits a sentence.
4. A run still longer than a segment may be is split at a comma or at its widest pause.
5. Speakers become ids S1, S2, ... in order of first appearance.

`transcript_from_words` is what every transcriber ends with: the segments plus the text and
speaker list they make.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from services.transcriber.engine.diarization import SpeakerTurn
from services.transcriber.engine.transcript import (
    Segment,
    Transcript,
    Word,
    join_segments,
    speaker_id,
    speakers_of,
)

LONG_PAUSE_SECONDS = 1.5
MAX_SEGMENT_SECONDS = 30.0
MAX_SEGMENT_WORDS = 50
# A run of words shorter than this inside a sentence is a misplaced turn boundary, not a
# change of speaker (it is about the diarizer's window width plus its boundary error).
MIN_SPEAKER_RUN_SECONDS = 2.0

_SENTENCE_END = frozenset(".?!…。？！")
_CLAUSE_END = frozenset(",;:，、；：–—")
_CLOSING = "\"'”’»)]}"
# Words ending in a full stop that do not end a sentence.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "approx"}
)


def transcript_from_words(
    words: Sequence[Word],
    turns: Sequence[SpeakerTurn],
    *,
    language: str,
    duration: float,
    model: str,
) -> Transcript:
    """The transcript these words make, each word given its speaker from `turns`."""
    segments = segments_from_words(words, turns)
    return Transcript(
        text=join_segments(segments),
        segments=segments,
        language=language,
        duration=duration,
        model=model,
        speakers=speakers_of(segments),
    )


def segments_from_words(words: Sequence[Word], turns: Sequence[SpeakerTurn]) -> tuple[Segment, ...]:
    """Segments covering every word exactly once, in order, one speaker each."""
    if not words:
        return ()
    labelled = list(zip(words, _label_words(words, turns), strict=True))
    ids: dict[int, str] = {}
    segments: list[Segment] = []
    for sentence in _sentences(labelled):
        for run in _speaker_runs(sentence):
            identifier = ids.setdefault(run.speaker, speaker_id(len(ids)))
            for piece in _bounded(run.words):
                segments.append(_segment(piece, identifier))
    return tuple(segments)


_Labelled = tuple[Word, int]  # a word and the speaker number diarization gave it


@dataclass(slots=True)
class _Run:
    """Consecutive words of one sentence given to one speaker."""

    speaker: int
    words: list[Word]

    @property
    def seconds(self) -> float:
        return self.words[-1].end - self.words[0].start


def _label_words(words: Sequence[Word], turns: Sequence[SpeakerTurn]) -> list[int]:
    """Per word, the speaker number of the turn that overlaps it most (or lies nearest)."""
    if not turns:
        return [0] * len(words)
    ordered = sorted(turns, key=lambda turn: (turn.start, turn.end))
    starts = [turn.start for turn in ordered]
    # reach[i]: the index of the turn ending last among ordered[:i + 1], so a backwards walk
    # can stop as soon as no earlier turn can still overlap the word.
    reach: list[int] = []
    for index, turn in enumerate(ordered):
        reach.append(index if not reach or turn.end > ordered[reach[-1]].end else reach[-1])
    return [_speaker_of(word, ordered, starts, reach) for word in words]


def _speaker_of(
    word: Word, turns: Sequence[SpeakerTurn], starts: Sequence[float], reach: Sequence[int]
) -> int:
    after = bisect_right(starts, word.end)  # turns[after:] start after the word ends
    candidates: list[SpeakerTurn] = []
    if after < len(turns):
        candidates.append(turns[after])
    index = after - 1
    if index >= 0:
        candidates.append(turns[reach[index]])  # the nearest one ending before the word
    while index >= 0 and turns[reach[index]].end > word.start:
        candidates.append(turns[index])
        index -= 1

    def preference(turn: SpeakerTurn) -> tuple[float, float, float]:
        overlap = min(turn.end, word.end) - max(turn.start, word.start)
        distance = max(turn.start - word.end, word.start - turn.end, 0.0)
        return (max(overlap, 0.0), -distance, -turn.start)

    return max(candidates, key=preference).speaker


def _sentences(labelled: Sequence[_Labelled]) -> Iterator[list[_Labelled]]:
    """Cut after sentence-final punctuation and before a long pause."""
    sentence: list[_Labelled] = []
    for word, speaker in labelled:
        if sentence and word.start - sentence[-1][0].end >= LONG_PAUSE_SECONDS:
            yield sentence
            sentence = []
        sentence.append((word, speaker))
        if _ends_sentence(word.text):
            yield sentence
            sentence = []
    if sentence:
        yield sentence


def _ends_sentence(text: str) -> bool:
    token = text.strip().rstrip(_CLOSING)
    if not token or token[-1] not in _SENTENCE_END:
        return False
    if token.endswith("..") or token[-1] != ".":
        return True
    stem = token[:-1].lower()
    is_initial = len(stem) == 1 and stem.isalpha()  # "J. Smith"
    return not (is_initial or stem in _ABBREVIATIONS)


def _ends_clause(text: str) -> bool:
    token = text.strip().rstrip(_CLOSING)
    return bool(token) and token[-1] in _CLAUSE_END


def _speaker_runs(sentence: list[_Labelled]) -> list[_Run]:
    """The sentence's words grouped by speaker, short runs folded into their neighbours."""
    runs: list[_Run] = []
    for word, speaker in sentence:
        if runs and runs[-1].speaker == speaker:
            runs[-1].words.append(word)
        else:
            runs.append(_Run(speaker, [word]))
    while len(runs) > 1:
        shortest = min(range(len(runs)), key=lambda index: runs[index].seconds)
        if runs[shortest].seconds >= MIN_SPEAKER_RUN_SECONDS:
            break
        _absorb(runs, shortest)
    return runs


def _absorb(runs: list[_Run], index: int) -> None:
    """Give runs[index]'s words to a neighbour (the one it sits between, if both neighbours
    are the same speaker; else the longer one) and join runs that now share a speaker."""
    before = runs[index - 1] if index > 0 else None
    after = runs[index + 1] if index + 1 < len(runs) else None
    if before is None or (after is not None and after.seconds > before.seconds):
        assert after is not None
        after.words[:0] = runs.pop(index).words
    else:
        before.words.extend(runs.pop(index).words)
    for position in range(len(runs) - 1, 0, -1):
        if runs[position].speaker == runs[position - 1].speaker:
            runs[position - 1].words.extend(runs.pop(position).words)


def _bounded(words: list[Word]) -> Iterator[list[Word]]:
    """Split until each piece is within the word and time limits (a single word always is)."""
    if len(words) <= 1 or (
        len(words) <= MAX_SEGMENT_WORDS and words[-1].end - words[0].start <= MAX_SEGMENT_SECONDS
    ):
        yield words
        return
    cut = _best_cut(words)
    yield from _bounded(words[:cut])
    yield from _bounded(words[cut:])


def _best_cut(words: list[Word]) -> int:
    """Where to split an over-long run: after a comma, else at the widest pause, chosen in
    its middle half so that both halves make readable phrases."""
    low, high = max(1, len(words) // 4), min(len(words) - 1, len(words) - len(words) // 4)

    def preference(cut: int) -> tuple[bool, float, float]:
        pause = words[cut].start - words[cut - 1].end
        centred = -abs(cut - len(words) / 2)
        return (_ends_clause(words[cut - 1].text), pause, centred)

    return max(range(low, high + 1), key=preference)


def _segment(words: list[Word], identifier: str) -> Segment:
    return Segment(
        start=words[0].start,
        end=words[-1].end,
        text="".join(word.text for word in words).strip(),
        speaker_id=identifier,
        words=tuple(words),
    )
