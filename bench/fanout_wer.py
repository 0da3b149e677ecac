"""Fan-out's WER in-process (issue 16): no mesh, no diarization, one decoder per mode.

The recording of case 13 (bench/cases/fanout.py) is decoded whole, as the unsplit transcriber
does, and as fan-out chunks: plan.py's windows and overlap, each chunk decoded as a replica's
ChunkWorker does (chunks.py) and stitched by merge.py. Each decoding mode (batch size, 1 =
sequential; `+fill`: the stretches it left without words decoded again sequentially, fanout/gaps.py)
prints its WER against the human reference and its seconds, and per chunk the words it kept
against the unsplit transcript's words in the same span, which shows where words go missing.

`.venv/bin/python -m bench.fanout_wer [--modes 8+fill 8 1] [--quick]`
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from bench.cases.fanout import FULL, QUICK, FanOutSizes
from services.transcriber.engine import (
    EngineSettings,
    Transcriber,
    TranscriptionEngine,
    TranscriptionOptions,
)
from services.transcriber.engine.transcript import Word, words_in_recording_time
from services.transcriber.engine.windows import AudioWindows
from services.transcriber.fanout.gaps import GapFillingTranscriber
from services.transcriber.fanout.merge import stitch_words
from services.transcriber.fanout.plan import PlannedChunk, plan_chunks
from tests.speech_corpus import Recording, long_recording, word_error_rate

ENGLISH = TranscriptionOptions(language="en")


def decoder_for(engine: TranscriptionEngine, mode: str) -> Transcriber:
    """`8`: batch 8; `1`: sequential; `8+fill`: batch 8, skipped stretches decoded again."""
    batch, _, fill = mode.partition("+")
    decoder = engine.with_batch_size(int(batch))
    if fill:
        return GapFillingTranscriber(decoder, engine.with_batch_size(1))
    return decoder


def unsplit_words(engine: Transcriber, recording: Recording) -> list[Word]:
    transcript = engine.transcribe(recording.path, ENGLISH)
    return [word for segment in transcript.segments for word in segment.words]


def fanned_out_words(engine: Transcriber, chunks: Sequence[PlannedChunk]) -> list[list[Word]]:
    """Each chunk's words in recording time, as its ChunkWorker would store them."""
    return [
        words_in_recording_time(engine.transcribe(chunk.samples, ENGLISH), chunk.audio_offset)
        for chunk in chunks
    ]


def text(words: Sequence[Word]) -> str:
    return " ".join(word.text.strip() for word in words)


def _in_span(words: Sequence[Word], start: float, end: float) -> list[Word]:
    return [word for word in words if start <= (word.start + word.end) / 2 < end]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_wer", description=__doc__)
    parser.add_argument("--modes", nargs="+", default=["8+fill", "8", "1"], help="decoders")
    parser.add_argument("--quick", action="store_true", help="the smoke-mode recording")
    args = parser.parse_args(argv)
    sizes: FanOutSizes = QUICK if args.quick else FULL
    recording = long_recording(sizes.clips, sizes.seconds)
    with AudioWindows(recording.path, sizes.chunk) as windows:
        chunks = list(plan_chunks(windows, sizes.overlap))
    print(f"{recording.seconds:.0f} s, {len(chunks)} chunks of {sizes.chunk:g} s")
    engine = TranscriptionEngine(EngineSettings())
    engine.preload(["en"])
    for mode in args.modes:
        decoder = decoder_for(engine, mode)
        started = time.perf_counter()
        whole = unsplit_words(decoder, recording)
        whole_seconds = time.perf_counter() - started
        started = time.perf_counter()
        per_chunk = fanned_out_words(decoder, chunks)
        chunk_seconds = time.perf_counter() - started
        merged = stitch_words(
            [(chunk.keep_start, words) for chunk, words in zip(chunks, per_chunk, strict=True)],
            sizes.overlap,
        )
        wer_whole = word_error_rate(recording.reference, text(whole)) * 100
        wer_merged = word_error_rate(recording.reference, text(merged)) * 100
        print(
            f"{mode}: unsplit WER {wer_whole:.2f} % ({whole_seconds:.0f} s), "
            f"fan-out WER {wer_merged:.2f} % ({chunk_seconds:.0f} s), "
            f"+{wer_merged - wer_whole:.2f} pt"
        )
        for chunk, words in zip(chunks, per_chunk, strict=True):
            kept = _in_span(words, chunk.keep_start, chunk.keep_end)
            heard = _in_span(whole, chunk.keep_start, chunk.keep_end)
            apart = word_error_rate(text(heard), text(kept)) * 100 if heard else 0.0
            print(
                f"  chunk {chunk.index} [{chunk.keep_start:6.1f}, {chunk.keep_end:6.1f}): "
                f"{len(kept)} words, unsplit {len(heard)}, {apart:.1f} % apart"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
