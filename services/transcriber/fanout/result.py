"""What a chunk worker stores for the owner: the chunk's words, speaker turns and voices.

JSON in the object store (by document, version and chunk index), so a retried job finds the
chunks that were finished before and only the missing ones are transcribed again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from services.transcriber.engine.diarization import SpeakerTurn, VoicedTurns
from services.transcriber.engine.transcript import Word
from speechflow.events.v1 import events_pb2


class StoredWord(BaseModel):
    """A `Word` as stored (built from one's attributes)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    start: float
    end: float
    text: str
    probability: float = 1.0


class StoredTurn(BaseModel):
    """A `SpeakerTurn` as stored (built from one's attributes)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    start: float
    end: float
    speaker: int


class ChunkResult(BaseModel):
    """Words are in seconds of the recording; turns in seconds of the chunk's audio (as the
    diarizer gave them, the way GlobalSpeakers takes a window's turns)."""

    model_config = ConfigDict(frozen=True)

    index: int
    audio_offset: float
    keep_start: float
    keep_end: float
    language: str
    model: str
    words: tuple[StoredWord, ...]
    turns: tuple[StoredTurn, ...]
    voices: dict[int, tuple[float, ...]]

    @classmethod
    def answering(
        cls,
        request: events_pb2.TranscriptionChunkRequested,
        *,
        language: str,
        model: str,
        words: Sequence[Word],
        voiced: VoicedTurns,
    ) -> ChunkResult:
        """The result of the chunk `request` asks for (its index and span): the words heard
        in it, on the recording's timeline, and its speakers' turns and voices."""
        return cls(
            index=request.chunk_index,
            audio_offset=request.audio_offset_seconds,
            keep_start=request.keep_start_seconds,
            keep_end=request.keep_end_seconds,
            language=language,
            model=model,
            words=tuple(map(StoredWord.model_validate, words)),
            turns=tuple(map(StoredTurn.model_validate, voiced.turns)),
            voices={speaker: tuple(map(float, v)) for speaker, v in voiced.voices.items()},
        )

    def timed_words(self) -> list[Word]:
        return [Word(w.start, w.end, w.text, w.probability) for w in self.words]

    def voiced_turns(self) -> VoicedTurns:
        """Turns clipped to the span this chunk speaks for: a neighbour speaks for the
        overlap, so each second of the recording has one chunk's turns."""
        low, high = self.keep_start - self.audio_offset, self.keep_end - self.audio_offset
        turns = [
            SpeakerTurn(max(t.start, low), min(t.end, high), t.speaker)
            for t in self.turns
            if t.end > low and t.start < high
        ]
        return VoicedTurns(turns, _arrays(self.voices))

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, data: bytes) -> ChunkResult:
        return cls.model_validate_json(data)


def _arrays(voices: Mapping[int, Sequence[float]]) -> dict[int, npt.NDArray[np.float64]]:
    return {speaker: np.asarray(voice, dtype=np.float64) for speaker, voice in voices.items()}
