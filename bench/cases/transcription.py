"""Cases 1 and 2: the same recording through raw faster-whisper in this process and through
the mesh (upload -> `transcription.completed`); speed as realtime factors, accuracy as the
WER of the mesh's transcript against the raw one."""

from __future__ import annotations

import asyncio
import time

import jiwer

from bench.client import register_user
from bench.context import BenchContext
from bench.events import TranscriptionsObserved, connect_nats
from bench.recordings import speech_recording
from bench.results import CaseResult, Headline
from bench.stats import ratio
from services.transcriber.app import build_transcriber
from services.transcriber.engine import TranscriptionEngine
from services.transcriber.settings import TranscriberSettings

# jiwer's standard normalization: case, punctuation and spacing do not count as errors.
NORMALIZE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),  # type: ignore[no-untyped-call]
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


def word_error_rate(reference: str, hypothesis: str) -> float:
    return float(
        jiwer.wer(
            reference,
            hypothesis,
            reference_transform=NORMALIZE,
            hypothesis_transform=NORMALIZE,
        )
    )


def same_engine_as_the_mesh(context: BenchContext) -> TranscriptionEngine:
    """The transcriber's own composition, so model, beam, batch and VAD settings match."""
    _, engine = build_transcriber(TranscriberSettings(data_dir=context.mesh.data_dir))
    return engine


async def run(context: BenchContext) -> list[CaseResult]:
    recording = await asyncio.to_thread(
        speech_recording, context.scratch, context.sizes.speech_seconds
    )
    seconds = context.sizes.speech_seconds
    engine = same_engine_as_the_mesh(context)
    await asyncio.to_thread(engine.preload, ["en"])  # the service preloads at start too

    started = time.perf_counter()
    raw = await asyncio.to_thread(engine.transcribe, recording, "en")
    raw_elapsed = time.perf_counter() - started

    user = await register_user(context.mesh)
    nats_client = await connect_nats(context.mesh)
    observed = TranscriptionsObserved()
    await observed.start(nats_client)
    try:
        data = recording.read_bytes()
        started = time.perf_counter()
        document = await user.upload(data, recording.name, language="en")
        async with asyncio.timeout(max(600, seconds * 5)):
            await observed.wait_for([document.id])
        mesh_elapsed = observed.arrived[document.id] - started
        mesh_text = observed.events[document.id].text
    finally:
        await observed.stop()
        await nats_client.close()
        await user.close()

    raw_factor, mesh_factor = seconds / raw_elapsed, seconds / mesh_elapsed
    settings = {
        "model": engine.settings.model_en,
        "compute_type": engine.settings.compute_type,
        "beam_size": str(engine.settings.beam_size),
        "batch_size": str(engine.settings.batch_size),
        "vad_filter": str(engine.settings.vad_filter).lower(),
        "language": "en",
    }
    described = (
        f"{seconds:g} s of espeak-ng English speech (FLAC, {len(data) / 1e6:.1f} MB); "
        "raw: TranscriptionEngine.transcribe in the bench process, model preloaded; mesh: "
        "UploadDocument through Envoy until `transcription.completed` is seen on NATS"
    )
    speed = CaseResult(
        number=1,
        name="Transcription overhead",
        input=described,
        settings=settings,
        metrics={
            "raw seconds": raw_elapsed,
            "mesh seconds": mesh_elapsed,
            "raw realtime factor": raw_factor,
            "mesh realtime factor": mesh_factor,
        },
        headline=Headline(
            "mesh speed vs raw",
            ratio(mesh_factor, raw_factor),
            "mesh realtime factor",
            "raw realtime factor",
            goal="≥ 0.95",
        ),
    )
    wer = word_error_rate(raw.text, mesh_text)
    accuracy = CaseResult(
        number=2,
        name="Accuracy (mesh vs raw)",
        input=f"case 1's two transcripts; WER with jiwer {jiwer_version()} after lower-casing, "
        "removing punctuation and collapsing spaces",
        settings=settings,
        metrics={
            "raw words": float(len(raw.text.split())),
            "mesh words": float(len(mesh_text.split())),
        },
        headline=Headline(
            "WER", wer, "word edits", "words in the raw transcript", goal="0 (no loss)"
        ),
    )
    return [speed, accuracy]


def jiwer_version() -> str:
    from importlib.metadata import version

    return version("jiwer")
