"""The stored transcript (`transcript.json`), read the same way by every service.

The file is a `speechflow.library.v1.Transcript` in protobuf JSON. Files written before speakers
and word timings existed hold the legacy `speechflow.events.v1.Transcript`; they are read as one
speaker with segment timings only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.duration_pb2 import Duration

from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

DEFAULT_SPEAKER_ID = "S1"
DEFAULT_SPEAKER_NAME = "Speaker 1"


def duration(seconds: float) -> Duration:
    value = Duration()
    value.FromNanoseconds(round(max(seconds, 0.0) * 1e9))
    return value


def seconds(value: Duration) -> float:
    return float(value.ToNanoseconds()) / 1e9


def parse_transcript(data: bytes | str) -> library_pb2.Transcript:
    """A stored transcript in either format; raises `json_format.ParseError` when it is neither."""
    try:
        return json_format.Parse(data, library_pb2.Transcript())
    except json_format.ParseError:
        legacy = json_format.Parse(data, events_pb2.Transcript())
    return from_legacy(legacy)


def serialize_transcript(transcript: library_pb2.Transcript) -> bytes:
    return json_format.MessageToJson(transcript, indent=None).encode()


def plain_text(transcript: library_pb2.Transcript) -> str:
    return " ".join(segment.text for segment in transcript.segments if segment.text)


def speaker_names(transcript: library_pb2.Transcript) -> dict[str, str]:
    names = {speaker.id: speaker.display_name for speaker in transcript.speakers}
    for segment in transcript.segments:
        names.setdefault(segment.speaker_id, segment.speaker_id or DEFAULT_SPEAKER_NAME)
    return names


@dataclass(frozen=True, slots=True)
class Turn:
    """Consecutive segments of one speaker: what a reader sees as one paragraph."""

    speaker_id: str
    speaker: str
    start: float
    end: float
    text: str
    segments: tuple[library_pb2.TranscriptSegment, ...]


def turns(transcript: library_pb2.Transcript) -> list[Turn]:
    names = speaker_names(transcript)
    return [
        Turn(
            speaker_id=group[0].speaker_id,
            speaker=names.get(group[0].speaker_id, DEFAULT_SPEAKER_NAME),
            start=seconds(group[0].start_offset),
            end=seconds(group[-1].end_offset),
            text=" ".join(segment.text for segment in group if segment.text),
            segments=tuple(group),
        )
        for group in _runs(transcript.segments)
    ]


def labelled_text(transcript: library_pb2.Transcript) -> str:
    """'Speaker 1: …' paragraphs; with one speaker, the plain text (labels would add nothing)."""
    found = turns(transcript)
    if len({turn.speaker_id for turn in found}) <= 1:
        return plain_text(transcript)
    return "\n".join(f"{turn.speaker}: {turn.text}" for turn in found)


def clock(value: float) -> str:
    """1:02:03 or 02:03, as people read times in a recording."""
    whole = int(max(value, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _runs(
    segments: Sequence[library_pb2.TranscriptSegment],
) -> Iterator[list[library_pb2.TranscriptSegment]]:
    group: list[library_pb2.TranscriptSegment] = []
    for segment in segments:
        if group and segment.speaker_id != group[-1].speaker_id:
            yield group
            group = []
        group.append(segment)
    if group:
        yield group


def segment_message(
    start: float,
    end: float,
    text: str,
    speaker_id: str,
    words: Iterable[library_pb2.TranscriptWord] = (),
) -> library_pb2.TranscriptSegment:
    """One segment, its times given in seconds."""
    return library_pb2.TranscriptSegment(
        start_offset=duration(start),
        end_offset=duration(end),
        text=text,
        speaker_id=speaker_id,
        words=words,
    )


def first_revision(
    segments: Iterable[library_pb2.TranscriptSegment],
    speakers: Iterable[library_pb2.Speaker],
    *,
    language: str,
    model: str,
    duration_seconds: float,
) -> library_pb2.Transcript:
    """A transcript as the transcriber writes it: revision 1, before any edit."""
    return library_pb2.Transcript(
        segments=segments,
        speakers=speakers,
        language=language,
        model=model,
        revision=1,
        duration=duration(duration_seconds),
    )


def from_legacy(legacy: events_pb2.Transcript) -> library_pb2.Transcript:
    """A legacy transcript (stored before speakers existed, or sent by an older caller)."""
    return first_revision(
        [
            segment_message(
                segment.start_seconds, segment.end_seconds, segment.text, DEFAULT_SPEAKER_ID
            )
            for segment in legacy.segments
        ],
        [library_pb2.Speaker(id=DEFAULT_SPEAKER_ID, display_name=DEFAULT_SPEAKER_NAME)],
        language=legacy.language,
        model=legacy.model,
        duration_seconds=legacy.duration_seconds,
    )
