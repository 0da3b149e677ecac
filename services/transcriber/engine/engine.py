"""Local transcription with faster-whisper (CTranslate2 on CPU)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.transcribe import Segment as WhisperSegment
from faster_whisper.transcribe import TranscriptionInfo
from faster_whisper.vad import get_vad_model

from services.transcriber.engine.audio import SAMPLE_RATE, Samples, decode_audio
from services.transcriber.engine.errors import TranscriptionError
from services.transcriber.engine.models import (
    DEFAULT_CACHE_DIR,
    DEFAULT_ENGLISH_MODEL,
    DEFAULT_MULTILINGUAL_MODEL,
    resolve_model,
)
from services.transcriber.engine.progress import ThrottledProgress
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Segment,
    Transcript,
    join_segments,
    normalize_language,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """How the local engine runs.

    `model_en` serves language "en"; `model_multilingual` serves every other language and
    detection (""). Either may be a bundled name (`tiny.en`, `base`), a folder, or a hub name
    such as `large-v3` (only loadable where a model cache already holds it).

    `beam_size=5`: with batching it still runs 11-32x realtime on 2 cores (measured on a 3 min
    recording), and beam search is what keeps these small models out of greedy decoding's
    repetition loops and dropped words; with a backlog, 1 trades accuracy for ~1.4x speed.

    `batch_size=8`: faster-whisper's BatchedInferencePipeline cuts the VAD speech regions into
    independent <=30 s chunks and decodes 8 at once; on 2 cores it was 1.4-3x faster than
    sequential decoding for both models on a 3 min recording, with equal or better word recall.
    It needs `vad_filter`; `batch_size=1` (or `vad_filter=False`) decodes sequentially.
    """

    model_en: str = DEFAULT_ENGLISH_MODEL
    model_multilingual: str = DEFAULT_MULTILINGUAL_MODEL
    compute_type: str = "int8"
    beam_size: int = 5
    batch_size: int = 8
    cpu_threads: int = 0
    vad_filter: bool = True
    cache_dir: Path = field(default=DEFAULT_CACHE_DIR)


class TranscriptionEngine:
    """Transcribes files with one lazily loaded `WhisperModel` per configured model.

    Safe to share between worker threads: models load once per process, and `WhisperModel`
    itself accepts concurrent `transcribe` calls.
    """

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self._settings = settings or EngineSettings()
        self._models: dict[str, WhisperModel] = {}
        self._load_lock = threading.Lock()

    @property
    def settings(self) -> EngineSettings:
        return self._settings

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

    def transcribe(
        self,
        source: AudioSource,
        language: str = "",
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Blocking. Raises PermanentTranscriptionError for unusable input, else
        TranscriptionError for failures worth retrying."""
        progress = ThrottledProgress(on_progress)
        progress.report(0.0)
        audio = decode_audio(source)
        duration = len(audio) / SAMPLE_RATE
        wanted = normalize_language(language)
        model_name = self.model_name_for(wanted)
        model = self._model(model_name)
        try:
            raw_segments, info = self._run(model, audio, wanted or None)
        except Exception as error:
            raise TranscriptionError(f"Transcription failed: {error}") from error
        segments: list[Segment] = []
        for raw in _guarded(raw_segments):
            # Whisper's last timestamp can overshoot the end of the audio; keep it inside.
            end = min(raw.end, duration)
            segments.append(Segment(start=min(raw.start, end), end=end, text=raw.text.strip()))
            progress.report(raw.end / duration)
        progress.finish()
        found = tuple(segments)
        return Transcript(
            text=join_segments(found),
            segments=found,
            language=info.language,
            duration=info.duration,
            model=model_name,
        )

    def _run(
        self, model: WhisperModel, audio: Samples, language: str | None
    ) -> tuple[Iterable[WhisperSegment], TranscriptionInfo]:
        settings = self._settings
        result: tuple[Iterable[WhisperSegment], TranscriptionInfo]
        if settings.batch_size > 1 and settings.vad_filter:
            # A fresh pipeline per call: it keeps per-transcription state on itself.
            result = BatchedInferencePipeline(model).transcribe(
                audio,
                language=language,
                beam_size=settings.beam_size,
                batch_size=settings.batch_size,
                vad_filter=True,
                # Segment-level timestamps inside each chunk, not one segment per 30 s chunk.
                without_timestamps=False,
            )
        else:
            result = model.transcribe(
                audio,
                language=language,
                beam_size=settings.beam_size,
                vad_filter=settings.vad_filter,
            )
        return result

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
