"""Transcript edits (speaker renames, segment text and speaker changes) as pure rules: the
current revision and a request in, the next revision out. No I/O.

A changed text keeps the segment's start and end. Its words keep their timings where they
still say the same thing (a diff of the old and new words), and only the words that changed
are timed anew, spread evenly over the gap their neighbours leave: fixing one misheard word
moves no other word, so click-to-seek and subtitle cues stay where people heard them."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

from google.protobuf.duration_pb2 import Duration

from services.kernel.transcripts import duration, seconds
from services.library.domain import BIDI_CONTROLS, SizeRule, quoted
from services.library.lifecycle.errors import InvalidInput
from speechflow.library.v1 import library_pb2

MAX_SPEAKER_NAME_LENGTH = 100
MAX_SEGMENT_TEXT_LENGTH = 5000
SPEAKER_NAME = SizeRule(
    MAX_SPEAKER_NAME_LENGTH,
    "A speaker's name cannot be empty.",
    "SPEAKER_NAME_REQUIRED",
    f"Keep a speaker's name under {MAX_SPEAKER_NAME_LENGTH} characters.",
    "SPEAKER_NAME_TOO_LONG",
)
SEGMENT_TEXT = SizeRule(
    MAX_SEGMENT_TEXT_LENGTH,
    "Segment {index}'s new text is blank; a segment needs words (leave text empty to keep it).",
    "SEGMENT_TEXT_BLANK",
    f"Keep a segment's text under {MAX_SEGMENT_TEXT_LENGTH} characters.",
    "SEGMENT_TEXT_TOO_LONG",
)
MAX_SPEAKERS = 50
SPEAKER_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
_WORD_KEY = re.compile(r"\W+")


def apply_edits(
    current: library_pb2.Transcript,
    renames: Sequence[library_pb2.Speaker],
    edits: Sequence[library_pb2.TranscriptSegmentEdit],
) -> library_pb2.Transcript | None:
    """The next revision, or None when the request changes nothing (no new revision then).
    Raises InvalidInput with what to fix."""
    edited = library_pb2.Transcript()
    edited.CopyFrom(current)
    seen: set[int] = set()
    for edit in edits:
        if not 0 <= edit.index < len(edited.segments):
            raise InvalidInput(
                f"Segment {edit.index} does not exist; this transcript has segments 0 to "
                f"{len(edited.segments) - 1}.",
                reason="SEGMENT_INDEX_OUT_OF_RANGE",
            )
        if edit.index in seen:
            raise InvalidInput(
                f"Segment {edit.index} is edited twice in one request; send one edit per segment.",
                reason="DUPLICATE_SEGMENT_EDIT",
            )
        seen.add(edit.index)
        segment = edited.segments[edit.index]
        if edit.speaker_id:
            segment.speaker_id = _speaker_id(edit.speaker_id)
            _ensure_speaker(edited, segment.speaker_id)
        if edit.text:
            text = _segment_text(edit.text, edit.index)
            if text != " ".join(segment.text.split()):
                words = retimed_words(segment, text)
                segment.text = text
                del segment.words[:]
                segment.words.extend(words)
    for rename in renames:
        speaker = _find_speaker(edited, _speaker_id(rename.id))
        if speaker is None:
            raise InvalidInput(
                f"There is no speaker {quoted(rename.id)} to rename; give a segment that "
                "speaker first (segment_edits) to add one.",
                reason="UNKNOWN_SPEAKER",
            )
        speaker.display_name = _speaker_name(rename.display_name)
    if len(edited.speakers) > MAX_SPEAKERS:
        raise InvalidInput(
            f"A transcript can have at most {MAX_SPEAKERS} speakers.", reason="TOO_MANY_SPEAKERS"
        )
    if edited == current:
        return None
    edited.revision = max(current.revision, 1) + 1
    return edited


def retimed_words(
    segment: library_pb2.TranscriptSegment, new_text: str
) -> list[library_pb2.TranscriptWord]:
    """Words of `new_text` timed inside the segment (see the module docstring). A segment
    that had no word timings (an old transcript) gets none: invented timings would be worse."""
    if not segment.words:
        return []
    old = list(segment.words)
    tokens = new_text.split()
    matcher = difflib.SequenceMatcher(
        a=[_key(w.text) for w in old], b=[_key(t) for t in tokens], autojunk=False
    )
    timed: list[tuple[float, float, float] | None] = [None] * len(tokens)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            word = old[block.a + offset]
            timed[block.b + offset] = (
                seconds(word.start_offset),
                seconds(word.end_offset),
                word.probability,
            )
    start, end = seconds(segment.start_offset), seconds(segment.end_offset)
    words: list[library_pb2.TranscriptWord] = []
    index = 0
    while index < len(tokens):
        known = timed[index]
        if known is not None:
            words.append(_word(tokens[index], known[0], known[1], known[2]))
            index += 1
            continue
        gap_end = index
        while gap_end < len(tokens) and timed[gap_end] is None:
            gap_end += 1
        after = timed[gap_end] if gap_end < len(tokens) else None
        gap_from = seconds(words[-1].end_offset) if words else start
        gap_to = after[0] if after is not None else end
        gap_to = max(gap_to, gap_from)
        step = (gap_to - gap_from) / (gap_end - index)
        for position in range(index, gap_end):
            begin = gap_from + step * (position - index)
            # Typed words were not heard with any confidence: probability 0 says so.
            words.append(_word(tokens[position], begin, begin + step, 0.0))
        index = gap_end
    return words


def _word(text: str, start: float, end: float, probability: float) -> library_pb2.TranscriptWord:
    # Whisper's words carry their leading space; edited ones follow suit so joining is uniform.
    return library_pb2.TranscriptWord(
        start_offset=_offset(start),
        end_offset=_offset(end),
        text=f" {text}",
        probability=probability,
    )


def _offset(value: float) -> Duration:
    return duration(round(value, 3))


def _key(text: str) -> str:
    return _WORD_KEY.sub("", text).casefold()


def _find_speaker(
    transcript: library_pb2.Transcript, speaker_id: str
) -> library_pb2.Speaker | None:
    return next((s for s in transcript.speakers if s.id == speaker_id), None)


def _ensure_speaker(transcript: library_pb2.Transcript, speaker_id: str) -> None:
    """An unknown id adds a speaker, named like the transcriber names them."""
    if _find_speaker(transcript, speaker_id) is not None:
        return
    taken = {s.display_name for s in transcript.speakers}
    number = len(transcript.speakers) + 1
    while f"Speaker {number}" in taken:
        number += 1
    transcript.speakers.add(id=speaker_id, display_name=f"Speaker {number}")


def _speaker_id(value: str) -> str:
    if not SPEAKER_ID_PATTERN.fullmatch(value):
        raise InvalidInput(
            f"The speaker id {quoted(value)} is not valid: use 1 to 32 letters, digits, '-' "
            "or '_'.",
            reason="INVALID_SPEAKER_ID",
        )
    return value


def _speaker_name(value: str) -> str:
    return SPEAKER_NAME.check(" ".join(_printable(value).split()))


def _segment_text(value: str, index: int) -> str:
    return SEGMENT_TEXT.check(" ".join(_printable(value).split()), index=index)


def _printable(value: str) -> str:
    # Control and bidi characters would garble subtitles and the PDF; newlines become spaces.
    return "".join(
        " " if unicodedata.category(c) == "Cc" else c for c in value if c not in BIDI_CONTROLS
    )
