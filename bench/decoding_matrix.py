"""Which faster-whisper decoding keeps every word, and at what speed: a rerunnable measurement.

Every configuration the transcriber could run is timed on real human speech (the clips of
`tests.speech_corpus`, plus one long file made of them) and scored by WER against the human
reference. Each model runs in its own child process so its peak RSS is its own.

    .venv/bin/python -m bench.decoding_matrix [--models tiny.en base] [--long-seconds 300]
        [--json OUT.json] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from faster_whisper import BatchedInferencePipeline, WhisperModel, decode_audio

from tests import speech_corpus

BEAM_SIZE = 5
CPU_THREADS = 2
BATCH_SIZE = 8
CHILD_COMMAND = (sys.executable, "-m", "bench.decoding_matrix", "--child")


@dataclass(frozen=True)
class Configuration:
    key: str
    description: str
    batched: bool
    word_timestamps: bool
    without_timestamps: bool = False
    detect_language: bool = False
    multilingual_only: bool = False


CONFIGURATIONS = (
    Configuration("a", "sequential, VAD (reference)", batched=False, word_timestamps=False),
    Configuration("b", "sequential, VAD, word timestamps", batched=False, word_timestamps=True),
    Configuration(
        "c",
        f"batched {BATCH_SIZE}, without_timestamps=True, word timestamps",
        batched=True,
        word_timestamps=True,
        without_timestamps=True,
    ),
    Configuration(
        "d",
        f"batched {BATCH_SIZE}, without_timestamps=False, word timestamps",
        batched=True,
        word_timestamps=True,
        without_timestamps=False,
    ),
    Configuration(
        "e",
        "sequential, VAD, language detected",
        batched=False,
        word_timestamps=False,
        detect_language=True,
        multilingual_only=True,
    ),
)


@dataclass(frozen=True)
class Measurement:
    model: str
    configuration: str
    recording: str
    audio_seconds: float
    elapsed_seconds: float
    cpu_seconds: float
    wer: float
    reference_words: int
    deletions: int
    language: str
    hypothesis: str

    @property
    def realtime_factor(self) -> float:
        return self.audio_seconds / self.elapsed_seconds


@dataclass(frozen=True)
class Recording:
    name: str
    path: Path
    reference: str


def recordings(long_seconds: float) -> list[Recording]:
    clips = [
        Recording(clip.id, speech_corpus.fetch(clip), clip.reference)
        for clip in speech_corpus.CLIPS
    ]
    long = speech_corpus.long_recording(speech_corpus.CLIPS, long_seconds)
    clips.append(Recording(f"long-{long.seconds:.0f}s", long.path, long.reference))
    return clips


def load_model(name: str) -> WhisperModel:
    # Imported here: the resolver is the transcriber's, and the matrix only needs it for the
    # bundled models' folders.
    from services.transcriber.engine.models import resolve_model

    return WhisperModel(
        resolve_model(name), device="cpu", compute_type="int8", cpu_threads=CPU_THREADS
    )


def decode(
    model: WhisperModel, configuration: Configuration, path: Path
) -> tuple[str, str, float, float]:
    """(text, language, wall seconds, CPU seconds) of one decoding, segments drained in the timing.

    CPU seconds (all threads of this process) are reported too: on a machine shared with other
    work, wall time drifts with the load while CPU time mostly does not."""
    audio = decode_audio(str(path))
    language = None if configuration.detect_language else "en"
    started, cpu_started = time.perf_counter(), time.process_time()
    segments: Iterator[Any]
    if configuration.batched:
        segments, info = BatchedInferencePipeline(model).transcribe(
            audio,
            language=language,
            beam_size=BEAM_SIZE,
            batch_size=BATCH_SIZE,
            vad_filter=True,
            without_timestamps=configuration.without_timestamps,
            word_timestamps=configuration.word_timestamps,
        )
    else:
        segments, info = model.transcribe(
            audio,
            language=language,
            beam_size=BEAM_SIZE,
            vad_filter=True,
            word_timestamps=configuration.word_timestamps,
        )
    text = " ".join(segment.text.strip() for segment in segments)
    cpu = time.process_time() - cpu_started
    return text, str(info.language), time.perf_counter() - started, cpu


def measure_model(name: str, long_seconds: float) -> dict[str, Any]:
    model = load_model(name)
    chosen = recordings(long_seconds)
    decode(model, CONFIGURATIONS[0], chosen[2].path)  # warm-up: first call pays one-off costs
    results: list[Measurement] = []
    for configuration in CONFIGURATIONS:
        if configuration.multilingual_only and name.endswith(".en"):
            continue
        for recording in chosen:
            text, language, elapsed, cpu = decode(model, configuration, recording.path)
            errors = speech_corpus.word_errors(recording.reference, text)
            reference_words = errors.hits + errors.substitutions + errors.deletions
            results.append(
                Measurement(
                    model=name,
                    configuration=configuration.key,
                    recording=recording.name,
                    audio_seconds=speech_corpus.wav_seconds(recording.path),
                    elapsed_seconds=elapsed,
                    cpu_seconds=cpu,
                    wer=float(errors.wer),
                    reference_words=reference_words,
                    deletions=errors.deletions,
                    language=language,
                    hypothesis=text,
                )
            )
            print(
                f"{name} {configuration.key} {recording.name}: WER {errors.wer:.2%}, "
                f"{results[-1].realtime_factor:.1f}x",
                file=sys.stderr,
                flush=True,
            )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "model": name,
        "peak_rss_mib": peak_kib / 1024,
        "measurements": [asdict(item) for item in results],
    }


def in_child_process(name: str, long_seconds: float) -> dict[str, Any]:
    """Each model in a fresh interpreter, so peak RSS is that model's alone."""
    completed = subprocess.run(
        [*CHILD_COMMAND, name, "--long-seconds", str(long_seconds)],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
        env=os.environ,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def rescored(runs: list[dict[str, Any]], long_seconds: float) -> list[dict[str, Any]]:
    """The stored hypotheses scored again against today's references (after a correction)."""
    references = {recording.name: recording.reference for recording in recordings(long_seconds)}
    for run in runs:
        for row in run["measurements"]:
            errors = speech_corpus.word_errors(references[row["recording"]], row["hypothesis"])
            row["wer"] = float(errors.wer)
            row["deletions"] = errors.deletions
            row["reference_words"] = errors.hits + errors.substitutions + errors.deletions
    return runs


def markdown(runs: list[dict[str, Any]]) -> str:
    """One row per model x configuration x recording, plus pooled rows for the short clips."""
    lines = [
        "| model | config | recording | audio s | WER | deleted words | realtime × "
        "| audio s per CPU s | language |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    described = {item.key: item.description for item in CONFIGURATIONS}
    for run in runs:
        rows = run["measurements"]
        for row in rows:
            factor = row["audio_seconds"] / row["elapsed_seconds"]
            lines.append(
                f"| {row['model']} | {row['configuration']} | {row['recording']} | "
                f"{row['audio_seconds']:.1f} | {row['wer']:.1%} | {row['deletions']} | "
                f"{factor:.1f} | {_per_cpu_second(row)} | "
                f"{row['language']} |"
            )
    lines += ["", "Pooled over the four clips (errors / reference words), and the long file:", ""]
    lines += ["| model | config | clips WER | clips realtime × | long WER | long realtime × "]
    lines[-1] += "| long audio s per CPU s |"
    lines += ["|---|---|---:|---:|---:|---:|---:|"]
    for run in runs:
        for key, description in described.items():
            rows = [row for row in run["measurements"] if row["configuration"] == key]
            if not rows:
                continue
            short = [row for row in rows if not row["recording"].startswith("long")]
            [long] = [row for row in rows if row["recording"].startswith("long")]
            lines.append(
                f"| {run['model']} | {key}: {description} | {_pooled(short):.2%} | "
                f"{_factor(short):.1f} | {long['wer']:.2%} | {_factor([long]):.1f} | "
                f"{_per_cpu_second(long)} |"
            )
    lines += [""] + [f"- peak RSS {run['model']}: {run['peak_rss_mib']:.0f} MiB" for run in runs]
    return "\n".join(lines) + "\n"


def _per_cpu_second(row: dict[str, Any]) -> str:
    cpu = row.get("cpu_seconds")
    return f"{row['audio_seconds'] / cpu:.1f}" if cpu else "n/a"


def _pooled(rows: list[dict[str, Any]]) -> float:
    errors = sum(float(row["wer"]) * int(row["reference_words"]) for row in rows)
    return errors / sum(int(row["reference_words"]) for row in rows)


def _factor(rows: list[dict[str, Any]]) -> float:
    audio = sum(float(row["audio_seconds"]) for row in rows)
    return audio / sum(float(row["elapsed_seconds"]) for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--long-seconds", type=float, default=300.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--rescore", type=Path, help="score a stored --json run again, no decoding")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        print(json.dumps(measure_model(arguments.child, arguments.long_seconds)))
        return 0
    if arguments.rescore:
        runs = rescored(json.loads(arguments.rescore.read_text()), arguments.long_seconds)
    else:
        runs = [in_child_process(name, arguments.long_seconds) for name in arguments.models]
    table = markdown(runs)
    if arguments.json:
        arguments.json.write_text(json.dumps(runs, indent=2))
    if arguments.markdown:
        arguments.markdown.write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
