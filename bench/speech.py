"""The recordings the transcription cases measure, each with the text a person (or espeak-ng) spoke,
and plain faster-whisper decodings of them in the bench process.

Real human speech comes from `tests.speech_corpus` (clips that registry packages ship with human
transcripts); espeak-ng speech is synthesized from `bench.recordings.SCRIPT`, so its reference is
exactly the text spoken. The reference decoder is faster-whisper itself, never the project's engine,
so the bench cannot compare the engine with itself.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import BatchedInferencePipeline, WhisperModel, decode_audio

from bench.recordings import SCRIPT
from services.transcriber.engine.models import resolve_model
from services.transcriber.settings import TranscriberSettings
from tests import media, speech_corpus
from tests.speech_corpus import Clip

# The reference configuration of issue 13: sequential decoding, beam 5, VAD on.
REFERENCE_BEAM_SIZE = 5
BATCH_SIZE = 8


@dataclass(frozen=True)
class SpokenRecording:
    name: str
    path: Path
    reference: str
    seconds: float
    human: bool  # False: espeak-ng read `reference`

    @property
    def words(self) -> int:
        return len(speech_corpus.normalise(self.reference).split())


def real_speech(clips: tuple[Clip, ...], long_seconds: float) -> list[SpokenRecording]:
    """The clips, plus (when `long_seconds` > 0) one long file of them joined with 1 s pauses."""
    recordings = [
        SpokenRecording(clip.id, path, clip.reference, speech_corpus.wav_seconds(path), True)
        for clip in clips
        for path in [speech_corpus.fetch(clip)]
    ]
    if long_seconds > 0:
        long = speech_corpus.long_recording(clips, long_seconds)
        recordings.append(
            SpokenRecording(
                f"the clips joined, 1 s pauses ({len(long.clips)} clips)",
                long.path,
                long.reference,
                long.seconds,
                True,
            )
        )
    return recordings


def espeak_speech(folder: Path, sentences: int) -> SpokenRecording:
    """The first `sentences` of the meeting script, read by espeak-ng in one go (whole sentences,
    so the reference is exact)."""
    text = " ".join(SCRIPT[:sentences])
    path = folder / f"espeak-{sentences}-sentences.wav"
    if not path.exists():
        media.synthesize_speech(text, path, voice="en")
    return SpokenRecording(f"espeak-ng, {sentences} sentences", path, text, _seconds(path), False)


def _seconds(path: Path) -> float:
    return len(decode_audio(str(path))) / speech_corpus.SAMPLE_RATE


@dataclass(frozen=True)
class Decoded:
    text: str
    seconds: float


class ReferenceDecoder:
    """Plain faster-whisper with the transcriber's default English model, loaded once."""

    def __init__(self, settings: TranscriberSettings) -> None:
        self.model_name = settings.model_en
        self.compute_type = settings.compute_type
        # Same threads as the service (0 there means every core).
        self.cpu_threads = settings.cpu_threads or os.cpu_count() or 1
        self._model = WhisperModel(
            resolve_model(settings.model_en),
            device="cpu",
            compute_type=settings.compute_type,
            cpu_threads=self.cpu_threads,
        )

    def sequential(self, path: Path) -> Decoded:
        """The reference: `WhisperModel.transcribe(beam_size=5, language="en", vad_filter=True)`."""
        audio = decode_audio(str(path))
        started = time.perf_counter()
        segments, _ = self._model.transcribe(
            audio, beam_size=REFERENCE_BEAM_SIZE, language="en", vad_filter=True
        )
        text = " ".join(segment.text.strip() for segment in segments)
        return Decoded(text, time.perf_counter() - started)

    def batched(self, path: Path) -> Decoded:
        """faster-whisper's batched pipeline with every word timed (`without_timestamps=True`:
        with False it drops the unfinished last segment of each 30 s VAD chunk)."""
        audio = decode_audio(str(path))
        started = time.perf_counter()
        segments, _ = BatchedInferencePipeline(self._model).transcribe(
            audio,
            beam_size=REFERENCE_BEAM_SIZE,
            language="en",
            batch_size=BATCH_SIZE,
            vad_filter=True,
            without_timestamps=True,
            word_timestamps=True,
        )
        text = " ".join(segment.text.strip() for segment in segments)
        return Decoded(text, time.perf_counter() - started)
