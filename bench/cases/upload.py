"""Case 4: one large file through the streaming `UploadDocument` and through the chunked
upload; throughput and how much the library process's peak memory grows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.client import MeshUser, register_user
from bench.context import BenchContext
from bench.recordings import silent_wav
from bench.results import CaseResult, Headline
from bench.stats import ratio
from speechflow.library.v1 import library_pb2


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start or the last reset) from /proc, in KiB."""
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0])
    return figures


def reset_peak_memory(pid: int) -> None:
    """Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def measured_upload(
    pid: int, upload: Callable[[], Awaitable[library_pb2.Document]]
) -> tuple[float, float, str]:
    """(seconds, peak RSS growth in MiB, document id)."""
    reset_peak_memory(pid)
    before = memory_kib(pid)["VmRSS"]
    started = time.perf_counter()
    document = await upload()
    elapsed = time.perf_counter() - started
    growth = (memory_kib(pid)["VmHWM"] - before) / 1024
    return elapsed, growth, document.id


async def run(context: BenchContext) -> list[CaseResult]:
    size = context.sizes.upload_bytes
    path = await asyncio.to_thread(silent_wav, context.scratch / "large.wav", size)
    data = path.read_bytes()
    library = context.mesh.services["library"]
    assert library.pid is not None
    user: MeshUser = await register_user(context.mesh)
    try:
        stream_s, stream_mib, first = await measured_upload(
            library.pid, lambda: user.upload(data, "large-stream.wav")
        )
        chunked_s, chunked_mib, second = await measured_upload(
            library.pid, lambda: user.upload_in_chunks(data, "large-chunked.wav")
        )
        # Hours of silence would keep the transcriber busy for the cases after this one.
        for document_id in (first, second):
            await user.library.DeleteDocument(
                library_pb2.DeleteDocumentRequest(document_id=document_id),
                metadata=user.metadata,
            )
    finally:
        await user.close()
    megabytes = len(data) / 1e6
    stream_rate, chunked_rate = megabytes / stream_s, megabytes / chunked_s
    return [
        CaseResult(
            number=4,
            name="Upload",
            input=f"a {megabytes:.0f} MB WAV (silence) through Envoy; streaming: 1 MiB messages; "
            "chunked: StartUpload, UploadChunk of the server's max_chunk_bytes, FinishUpload",
            settings={"storage": "local disk", "database": "SQLite"},
            metrics={
                "streaming MB/s": stream_rate,
                "chunked MB/s": chunked_rate,
                "streaming peak RSS growth MiB": stream_mib,
                "chunked peak RSS growth MiB": chunked_mib,
            },
            headline=Headline(
                "chunked vs streaming throughput",
                ratio(chunked_rate, stream_rate),
                "chunked MB/s",
                "streaming MB/s",
            ),
            notes="RSS growth = library VmHWM after the upload minus VmRSS before it",
        )
    ]
