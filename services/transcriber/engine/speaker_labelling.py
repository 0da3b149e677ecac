"""Who spoke when, merged with what was said.

Recognition (local or Groq) and diarization both read the same decoded samples, in parallel:
each is CPU-bound but neither keeps both cores busy all the time, and neither needs the other's
result until the words are given their speakers.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from services.transcriber.engine.audio import Samples, decode_audio
from services.transcriber.engine.diarization import Diarizer, SpeakerTurn
from services.transcriber.engine.progress import ThrottledProgress
from services.transcriber.engine.speakers import segments_from_words
from services.transcriber.engine.transcript import (
    DEFAULT_OPTIONS,
    AudioSource,
    ProgressCallback,
    Transcriber,
    Transcript,
    TranscriptionOptions,
    join_segments,
    speakers_of,
)

logger = logging.getLogger(__name__)

# Share of the progress bar recognition covers; the rest waits for diarization to finish.
_RECOGNITION_SHARE = 0.95


class SpeakerLabellingTranscriber:
    """Decodes a recording once, transcribes it and labels every word with its speaker.

    A diarization failure never fails the transcript: it degrades to one speaker.
    """

    def __init__(self, recognizer: Transcriber, diarizer: Diarizer) -> None:
        self._recognizer = recognizer
        self._diarizer = diarizer
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="diarize")

    def transcribe(
        self,
        source: AudioSource,
        options: TranscriptionOptions = DEFAULT_OPTIONS,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        progress = ThrottledProgress(on_progress, min_interval=0.0)
        audio = decode_audio(source)
        turns = self._pool.submit(self._diarize, audio, options)
        transcript = self._recognizer.transcribe(
            audio, options, lambda fraction: progress.report(fraction * _RECOGNITION_SHARE)
        )
        segments = segments_from_words(
            [word for segment in transcript.segments for word in segment.words],
            _result(turns),
        )
        progress.finish()
        return Transcript(
            text=join_segments(segments),
            segments=segments,
            language=transcript.language,
            duration=transcript.duration,
            model=transcript.model,
            speakers=speakers_of(segments),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _diarize(self, audio: Samples, options: TranscriptionOptions) -> list[SpeakerTurn]:
        return self._diarizer.diarize(
            audio, min_speakers=options.min_speakers, max_speakers=options.max_speakers
        )


def _result(turns: Future[list[SpeakerTurn]]) -> list[SpeakerTurn]:
    try:
        return turns.result()
    except Exception:
        logger.warning("speaker diarization failed; the transcript has one speaker", exc_info=True)
        return []
