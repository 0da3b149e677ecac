"""Case 13: one long recording across two transcriber replicas (fan-out).

A 20-minute recording made of the real speech clips of tests/speech_corpus.py (read
literature, a sonnet, a speech and a two-person phone call, repeated with pauses) is
transcribed by transcriber replicas of their own (bench/fanout_pool.py: a nats-server with
the mesh's NATS users, a shared object store), each replica pinned to one core
(`taskset -c N`, `WHISPER_CPU_THREADS=1`, `DIARIZATION_CPU_THREADS=1`):

- `unsplit, 1 replica`: fan-out off, the recording on one worker as before (full run only);
- `fan-out, 1 replica`: chunks, all taken by the one replica;
- `fan-out, 2 replicas`: chunks shared by two replicas on two cores.

Headline: wall time with 1 replica over wall time with 2 (both fanned out). Accuracy: WER of
the merged transcript against the human reference, beside the unsplit transcript's (decoded
in-process, untimed), and words lost or doubled at the seams (bench/seams.py).

Run alone: `.venv/bin/python -m bench --only fanout --no-docs` (quick: add `--quick`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.context import BenchContext
from bench.fanout_pool import FinishedJob, TranscriberPool, text_of, timed_words
from bench.results import CaseResult, Headline
from bench.seams import seam_errors
from bench.stats import ratio
from services.transcriber.engine import EngineSettings, TranscriptionEngine, TranscriptionOptions
from services.transcriber.engine.transcript import Transcript
from tests.speech_corpus import CLIPS, JFK, Clip, Recording, long_recording, word_error_rate

GOAL = "≥ 1.7×, WER ≤ +0.5 pt, 0 words lost or doubled"
JOB_TIMEOUT_SECONDS = 3 * 3600
ONE_CORE = {"WHISPER_CPU_THREADS": "1", "DIARIZATION_CPU_THREADS": "1"}


@dataclass(frozen=True)
class FanOutSizes:
    clips: tuple[Clip, ...]
    seconds: float
    threshold: float
    chunk: float
    overlap: float
    unsplit_run: bool


FULL = FanOutSizes(CLIPS, seconds=1200, threshold=600, chunk=180, overlap=4, unsplit_run=True)
# The smoke mode keeps the shape (several chunks, two replicas) on a short recording of the
# one clip the quick bench fetches anyway.
QUICK = FanOutSizes((JFK,), seconds=45, threshold=20, chunk=15, overlap=3, unsplit_run=False)


@dataclass(frozen=True)
class Timed:
    job: FinishedJob
    # Seconds the replicas spent diarizing during the job (their "speakers diarized" logs).
    diarization_seconds: float


async def run(context: BenchContext) -> list[CaseResult]:
    sizes = QUICK if context.sizes.quick else FULL
    recording = await asyncio.to_thread(long_recording, sizes.clips, sizes.seconds)
    cpus = sorted(os.sched_getaffinity(0))
    fanout = {
        **ONE_CORE,
        "TRANSCRIBER_FANOUT_THRESHOLD_SECONDS": f"{sizes.threshold:g}",
        "TRANSCRIBER_CHUNK_SECONDS": f"{sizes.chunk:g}",
        "TRANSCRIBER_CHUNK_OVERLAP_SECONDS": f"{sizes.overlap:g}",
    }
    unsplit_job: Timed | None = None
    if sizes.unsplit_run:
        unsplit_job = await _one_run(
            context.scratch / "fanout-unsplit",
            {**fanout, "TRANSCRIBER_FANOUT_THRESHOLD_SECONDS": "0"},
            recording,
            cpus[:1],
        )
    pool = TranscriberPool(context.scratch / "fanout", fanout)
    await pool.start()
    try:
        await pool.add_replica(cpus=str(cpus[0]))
        one = await _timed(pool, recording)
        await pool.add_replica(cpus=str(cpus[1 % len(cpus)]))
        two = await _timed(pool, recording)
        seams = pool.seams(two.job.document_id)
        per_replica = [
            len(pool.chunks(replica, two.job.document_id, "chunk transcribed"))
            for replica in pool.replicas
        ]
    finally:
        await pool.close()
    unsplit = await asyncio.to_thread(_unsplit_transcript, recording, context.scratch)
    merged = text_of(two.job.transcript)
    unsplit_text = unsplit.text
    errors = seam_errors(
        [(w.start, w.text) for s in unsplit.segments for w in s.words],
        timed_words(two.job.transcript),
        seams,
        margin=sizes.overlap + 2.0,
    )
    wer_unsplit = word_error_rate(recording.reference, unsplit_text) * 100
    wer_merged = word_error_rate(recording.reference, merged) * 100
    metrics = {
        "fan-out, 1 replica, seconds": one.job.seconds,
        "fan-out, 2 replicas, seconds": two.job.seconds,
        "speed-up, 2 replicas vs 1": ratio(one.job.seconds, two.job.seconds),
        "audio seconds": recording.seconds,
        "realtime factor, 2 replicas": ratio(recording.seconds, two.job.seconds),
        "chunks": float(len(seams) + 1),
        "chunks taken by replica 1": float(per_replica[0]),
        "chunks taken by replica 2": float(per_replica[1]),
        "WER % unsplit (vs reference)": wer_unsplit,
        "WER % fan-out (vs reference)": wer_merged,
        "WER pt added by fan-out": wer_merged - wer_unsplit,
        "WER % fan-out vs unsplit transcript": word_error_rate(unsplit_text, merged) * 100,
        "words lost at seams": float(errors.lost),
        "words doubled at seams": float(errors.doubled),
        "speakers, fan-out": float(len(two.job.transcript.speakers)),
        "diarization seconds per replica, fan-out 2 replicas": two.diarization_seconds / 2,
    }
    if unsplit_job is not None:
        metrics["unsplit, 1 replica, seconds"] = unsplit_job.job.seconds
        metrics["speed-up, 2 replicas fanned out vs 1 unsplit"] = ratio(
            unsplit_job.job.seconds, two.job.seconds
        )
        metrics["speakers, unsplit"] = float(len(unsplit_job.job.transcript.speakers))
        # What diarizing the whole file once would cost on the owner's one core (beside
        # recognition, as the unsplit run does): the floor of that design's wall time.
        metrics["diarization seconds, whole recording on 1 core"] = unsplit_job.diarization_seconds
    return [
        CaseResult(
            number=13,
            name="Long recording fan-out",
            input=f"{recording.seconds / 60:.1f} min of real speech in one recording: "
            f"{', '.join(dict.fromkeys(recording.clips))} in turn, {len(recording.clips)} clips "
            "with 1 s pauses",
            settings={
                "replicas": "1 then 2, each on one core (taskset, 1 thread)",
                "chunk seconds": f"{sizes.chunk:g}",
                "overlap seconds": f"{sizes.overlap:g}",
                "fan-out threshold seconds": f"{sizes.threshold:g}",
                "chunk decoding": "batched (TRANSCRIBER_CHUNK_BATCH_SIZE default 8), stretches "
                "without words decoded again sequentially",
                "speakers": "diarized per chunk, matched across chunks by voice",
            },
            metrics=metrics,
            headline=Headline(
                "speed-up, 2 replicas vs 1",
                ratio(one.job.seconds, two.job.seconds),
                "seconds with 1 replica",
                "seconds with 2 replicas",
                goal=GOAL,
            ),
            notes="time from `transcription.requested` to `transcription.completed`, models "
            "loaded beforehand; WER against the clips' human transcripts; the unsplit "
            "transcript for the seam count is decoded in-process with the same settings",
        )
    ]


async def _timed(pool: TranscriberPool, recording: Recording) -> Timed:
    marks = {replica.name: _log_size(replica.log_path) for replica in pool.replicas}
    async with asyncio.timeout(JOB_TIMEOUT_SECONDS):
        job = await pool.transcribe(recording.path)
    diarizing = sum(
        _diarization_seconds(replica.log_path, marks.get(replica.name, 0))
        for replica in pool.replicas
    )
    return Timed(job, diarizing)


async def _one_run(
    folder: Path, environment: Mapping[str, str], recording: Recording, cpus: list[int]
) -> Timed:
    pool = TranscriberPool(folder, environment)
    await pool.start()
    try:
        await pool.add_replica(cpus=",".join(map(str, cpus)))
        return await _timed(pool, recording)
    finally:
        await pool.close()


def _unsplit_transcript(recording: Recording, scratch: Path) -> Transcript:
    engine = TranscriptionEngine(EngineSettings(cache_dir=scratch / "fanout-models"))
    return engine.transcribe(recording.path, TranscriptionOptions(language="en"))


def _log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _diarization_seconds(path: Path, offset: int) -> float:
    if not path.exists():
        return 0.0
    with path.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    total = 0.0
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "speakers diarized":
            total += float(entry.get("seconds", 0.0))
    return total
