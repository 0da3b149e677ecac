"""The result of a transcription, and the options and audio a transcriber takes.

The interface every transcriber offers is `Transcriber` (transcriber.py).

Words are the unit of truth: the decoder times every word, diarization gives every word a
speaker, and segments (speaker turns cut into sentences or phrases) are built from the words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

# Decoded audio: float32 mono at 16 kHz. A job decodes its recording once and passes these on.
Samples = npt.NDArray[np.float32]
AudioSource = str | Path | BinaryIO | Samples
ProgressCallback = Callable[[float], None]

DEFAULT_SPEAKER_ID = "S1"


def speaker_id(index: int) -> str:
    """Stable ids in order of first appearance: S1, S2, ..."""
    return f"S{index + 1}"


def default_speaker_name(identifier: str) -> str:
    """'S2' -> 'Speaker 2' (what people see until they rename the speaker)."""
    return f"Speaker {identifier.removeprefix('S')}"


@dataclass(frozen=True, slots=True)
class Word:
    """One decoded word; `text` keeps Whisper's leading space so words join back losslessly."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence or phrase said by one speaker."""

    start: float
    end: float
    text: str
    speaker_id: str = DEFAULT_SPEAKER_ID
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Speaker:
    """A voice of the recording: `id` as `speaker_id` gives it, and the name people see."""

    id: str
    display_name: str


# A recording nobody diarized, or in which nobody spoke, has one speaker.
DEFAULT_SPEAKERS = (Speaker(DEFAULT_SPEAKER_ID, default_speaker_name(DEFAULT_SPEAKER_ID)),)


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was said: `text` is the segments' text joined, `duration` the recording's length
    in seconds and `model` the model that decoded it (e.g. "tiny.en", "groq:whisper-large-v3")."""

    text: str
    segments: tuple[Segment, ...]
    language: str
    duration: float
    model: str
    speakers: tuple[Speaker, ...] = DEFAULT_SPEAKERS


@dataclass(frozen=True, slots=True)
class TranscriptionOptions:
    """Per-recording choices made by the uploader.

    `hotwords` biases the decoder towards names and terms (faster-whisper's `hotwords`);
    `min_speakers` / `max_speakers` bound diarization (0 = automatic).
    """

    language: str = ""
    hotwords: str = ""
    min_speakers: int = 0
    max_speakers: int = 0


DEFAULT_OPTIONS = TranscriptionOptions()


def normalize_language(language: str) -> str:
    """'EN-us' -> 'en'; '', 'auto' -> '' (detect)."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return "" if primary == "auto" else primary


def join_segments(segments: Sequence[Segment]) -> str:
    return " ".join(segment.text for segment in segments if segment.text)


def words_in_recording_time(transcript: Transcript, offset: float) -> list[Word]:
    """Every word of a piece's transcript, in order, on the recording's timeline (the piece
    starts `offset` seconds into the recording)."""
    return [
        replace(word, start=word.start + offset, end=word.end + offset)
        for segment in transcript.segments
        for word in segment.words
    ]


def speakers_of(segments: Sequence[Segment]) -> tuple[Speaker, ...]:
    """The speakers that occur in `segments`, in order of first appearance."""
    seen: dict[str, Speaker] = {}
    for segment in segments:
        if segment.speaker_id not in seen:
            seen[segment.speaker_id] = Speaker(
                segment.speaker_id, default_speaker_name(segment.speaker_id)
            )
    return tuple(seen.values()) or DEFAULT_SPEAKERS
