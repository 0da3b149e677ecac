"""Decode any upload to 16 kHz mono samples, with errors a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
from faster_whisper import decode_audio as _faster_whisper_decode

from services.transcriber.engine.errors import (
    PermanentTranscriptionError,
    TranscriptionError,
)
from services.transcriber.engine.transcript import AudioSource, Samples

__all__ = ["SAMPLE_RATE", "Samples", "decode_audio", "decoding_errors"]

SAMPLE_RATE = 16_000

NO_AUDIO_TRACK = "The file has no audio track"
EMPTY_AUDIO_TRACK = "The file's audio track is empty"
UNDECODABLE = "The file could not be decoded as audio/video"


def decode_audio(source: AudioSource) -> Samples:
    """All of the first audio track as float32 mono at 16 kHz (PyAV, so any FFmpeg format).

    Samples already decoded pass through, so a recording is decoded once per job."""
    if isinstance(source, np.ndarray):
        if source.size == 0:
            raise PermanentTranscriptionError(EMPTY_AUDIO_TRACK)
        return np.asarray(source, dtype=np.float32)
    with decoding_errors():
        samples = _faster_whisper_decode(str(source) if isinstance(source, Path) else source)
    if samples.size == 0:
        raise PermanentTranscriptionError(EMPTY_AUDIO_TRACK)
    return np.asarray(samples, dtype=np.float32)


@contextmanager
def decoding_errors() -> Iterator[None]:
    """Decoder failures as transcription errors: the file's fault (permanent) or ours."""
    try:
        yield
    except IndexError as error:
        # PyAV has no audio stream 0 to give: a video without sound.
        raise PermanentTranscriptionError(NO_AUDIO_TRACK) from error
    except av.FFmpegError as error:
        if isinstance(error, av.error.FileNotFoundError):
            raise TranscriptionError(f"The file could not be read: {error.strerror}") from error
        # Any other FFmpeg error is about the bytes (some map to odd errno classes such as
        # PermissionError); strerror omits the path FFmpeg appends, which is ours, not theirs.
        raise PermanentTranscriptionError(f"{UNDECODABLE}: {error.strerror}") from error
    except OSError as error:
        # Missing or unreadable file: storage trouble on our side, not a property of the upload.
        raise TranscriptionError(
            f"The file could not be read: {error.strerror or error}"
        ) from error
    except MemoryError as error:
        raise TranscriptionError("Not enough memory to decode the file") from error
