"""Speech recordings for the cases, synthesized with espeak-ng (see tests/media.py)."""

from __future__ import annotations

from pathlib import Path

from tests import media

# Meeting-like English, varied enough that a transcript cannot be right by repetition alone.
SCRIPT = [
    "Welcome to the quarterly planning meeting.",
    "The budget for the next quarter is approved by the board.",
    "We decided to hire two engineers for the search team.",
    "Sarah will prepare the hiring plan by Friday.",
    "The marketing launch moves to March because the website is not ready.",
    "Customer feedback on the mobile application has improved since the last release.",
    "Our support team answered four hundred tickets in the first week of the month.",
    "The data center migration is scheduled for the second half of April.",
    "Please send your travel requests to the office manager before the end of the week.",
    "Thank you all for joining, the next meeting is on Tuesday at ten.",
]


def speech_recording(folder: Path, seconds: float, name: str = "speech") -> Path:
    """A FLAC recording of `SCRIPT` read in a loop, cut at `seconds` (made once per folder)."""
    path = folder / f"{name}-{seconds:g}s.flac"
    if not path.exists():
        media.synthesize_long_speech(SCRIPT, path, seconds=seconds)
    return path


def silent_wav(path: Path, size_bytes: int, sample_rate: int = 16_000) -> Path:
    """A valid mono 16-bit WAV of silence of (about) `size_bytes`, written without encoding."""
    frames = max(1, (size_bytes - 44) // 2)
    data_bytes = frames * 2
    header = b"".join(
        [
            b"RIFF",
            (36 + data_bytes).to_bytes(4, "little"),
            b"WAVEfmt ",
            (16).to_bytes(4, "little"),
            (1).to_bytes(2, "little"),  # PCM
            (1).to_bytes(2, "little"),  # mono
            sample_rate.to_bytes(4, "little"),
            (sample_rate * 2).to_bytes(4, "little"),
            (2).to_bytes(2, "little"),
            (16).to_bytes(2, "little"),
            b"data",
            data_bytes.to_bytes(4, "little"),
        ]
    )
    with path.open("wb") as out:
        out.write(header)
        block = bytes(1024 * 1024)
        remaining = data_bytes
        while remaining > 0:
            out.write(block[: min(len(block), remaining)])
            remaining -= len(block)
    return path
