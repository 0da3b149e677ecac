"""Local transcription with faster-whisper (CTranslate2 on CPU).

Every word is timed (`word_timestamps=True`) and segments are built from the words, so no
decoding mode can hide a lost sentence behind a chunk boundary: faster-whisper 1.2.1's batched
pipeline with `without_timestamps=False` drops the unfinished last segment of each <=30 s VAD
chunk (12.7 % WER against 1.4 % sequential on real read speech). Batched decoding therefore runs
only with `without_timestamps=True`, where the words keep their timings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.transcribe import Segment as WhisperSegment
from faster_whisper.vad import get_vad_model

from services.transcriber.engine.audio import SAMPLE_RATE, Samples, decode_audio
from services.transcriber.engine.errors import TranscriptionError
from services.transcriber.engine.models import (
    DEFAULT_CACHE_DIR,
    DEFAULT_ENGLISH_MODEL,
    DEFAULT_MULTILINGUAL_MODEL,
    resolve_model,
)
from services.transcriber.engine.speakers import transcript_from_words
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Transcript,
    TranscriptionOptions,
    Word,
    normalize_language,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """How the local engine runs.

    `model_en` serves English (asked for, or detected); `model_multilingual` serves every other
    language and detects the language when none is given. Either may be a bundled name
    (`tiny.en`, `base`), a folder, or a hub name such as `large-v3` (only loadable where a model
    cache already holds it).

    `beam_size=5`: beam search keeps these small models out of greedy decoding's repetition
    loops and dropped words. `batch_size > 1` decodes the VAD speech regions `batch_size` at a
    time (BatchedInferencePipeline, needs `vad_filter`); `1` decodes sequentially.
    docs/benchmarks.md has the measured speed and accuracy of both.
    """

    model_en: str = DEFAULT_ENGLISH_MODEL
    model_multilingual: str = DEFAULT_MULTILINGUAL_MODEL
    compute_type: str = "int8"
    beam_size: int = 5
    batch_size: int = 8
    cpu_threads: int = 0
    vad_filter: bool = True
    cache_dir: Path = field(default=DEFAULT_CACHE_DIR)


class TranscriptionEngine(Transcriber):
    """Transcribes files with one lazily loaded `WhisperModel` per configured model.

    Safe to share between worker threads: models load once per process, and `WhisperModel`
    itself accepts concurrent `transcribe` calls.
    """

    # Whisper yields a segment every few seconds of audio; listeners need no more than this.
    progress_interval = 0.25

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self._settings = settings or EngineSettings()
        self._models: dict[str, WhisperModel] = {}
        self._load_lock = threading.Lock()

    @property
    def settings(self) -> EngineSettings:
        return self._settings

    def with_batch_size(self, batch_size: int) -> TranscriptionEngine:
        """The same loaded models, decoding `batch_size` speech regions at a time (1 =
        sequentially): fan-out chunks decode the stretches a batched decode skipped again
        sequentially (fanout/gaps.py)."""
        twin = TranscriptionEngine(replace(self._settings, batch_size=batch_size))
        twin._models, twin._load_lock = self._models, self._load_lock
        return twin

    def model_name_for(self, language: str) -> str:
        if normalize_language(language) == "en":
            return self._settings.model_en
        return self._settings.model_multilingual

    def preload(self, languages: Iterable[str] = ("en", "")) -> None:
        """Load the models these languages need now (e.g. at startup) instead of on first use,
        and run each once on a second of silence: the VAD model's load and CTranslate2's
        first-inference setup would otherwise land on the first job."""
        if self._settings.vad_filter:
            get_vad_model()
        silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
        for language in languages:
            model = self._model(self.model_name_for(language))
            segments, _info = model.transcribe(
                silence, language=normalize_language(language) or None, vad_filter=False
            )
            for _segment in segments:  # the generator does the work
                pass

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        report(0.0)
        audio = decode_audio(source)
        duration = len(audio) / SAMPLE_RATE
        language = options.language or self.detect_language(audio)
        model_name = self.model_name_for(language)
        words: list[Word] = []
        for raw in _guarded(self._decode(self._model(model_name), audio, language, options)):
            words += _timed_words(raw, duration)
            report(raw.end / duration)
        return transcript_from_words(
            words, (), language=language, duration=duration, model=model_name
        )

    def detect_language(self, audio: Samples) -> str:
        """The spoken language, so English is decoded by the English model (the multilingual
        one reads English worse at the same size)."""
        model = self._model(self._settings.model_multilingual)
        try:
            language, _probability, _all = model.detect_language(
                audio, vad_filter=self._settings.vad_filter
            )
        except Exception as error:
            raise TranscriptionError(f"Language detection failed: {error}") from error
        return str(language)

    def _decode(
        self, model: WhisperModel, audio: Samples, language: str, options: TranscriptionOptions
    ) -> Iterable[WhisperSegment]:
        settings = self._settings
        decode: Callable[..., tuple[Iterable[WhisperSegment], Any]] = model.transcribe
        try:
            if settings.batch_size > 1 and settings.vad_filter:
                # A fresh pipeline per call: it keeps per-transcription state on itself.
                decode = partial(
                    BatchedInferencePipeline(model).transcribe,
                    batch_size=settings.batch_size,
                    # One segment per chunk, every word kept (see the module docstring).
                    without_timestamps=True,
                )
            segments, _info = decode(
                audio,
                language=language or None,
                beam_size=settings.beam_size,
                vad_filter=settings.vad_filter,
                word_timestamps=True,
                hotwords=options.hotwords.strip() or None,
            )
        except Exception as error:
            raise TranscriptionError(f"Transcription failed: {error}") from error
        return segments

    def _model(self, name: str) -> WhisperModel:
        model = self._models.get(name)
        if model is not None:
            return model
        with self._load_lock:
            model = self._models.get(name)
            if model is None:
                model = self._load(name)
                self._models[name] = model
            return model

    def _load(self, name: str) -> WhisperModel:
        try:
            location = resolve_model(name, self._settings.cache_dir)
            logger.info("loading whisper model %s from %s", name, location)
            return WhisperModel(
                location,
                device="cpu",
                compute_type=self._settings.compute_type,
                cpu_threads=self._settings.cpu_threads,
            )
        except Exception as error:
            raise TranscriptionError(
                f"Whisper model {name!r} could not be loaded: {error}"
            ) from error


def _timed_words(segment: WhisperSegment, duration: float) -> list[Word]:
    # Whisper's last timestamp can overshoot the end of the audio; keep every word inside.
    words: list[Word] = []
    for word in segment.words or ():
        end = min(word.end, duration)
        words.append(Word(min(word.start, end), end, word.word, word.probability))
    return words


def _guarded(segments: Iterable[WhisperSegment]) -> Iterator[WhisperSegment]:
    """Decoding happens lazily while iterating; turn its failures into TranscriptionError
    without catching what the caller's progress callback raises between items."""
    iterator = iter(segments)
    while True:
        try:
            segment = next(iterator)
        except StopIteration:
            return
        except Exception as error:
            raise TranscriptionError(f"Transcription failed: {error}") from error
        yield segment
