"""Runs the cases against one private mesh and records the run."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.cases import (
    api,
    diarization,
    end_to_end,
    fanout,
    load,
    long_memory,
    pdf,
    progress,
    scaling,
    summaries,
    transcription,
    upload,
)
from bench.context import BenchContext
from bench.machine import describe_machine
from bench.mesh import running_mesh
from bench.results import BenchRun, CaseResult, breakdown_tables, machine_table, markdown_table
from bench.sizes import BenchSizes

log = logging.getLogger("bench")
Case = Callable[[BenchContext], Awaitable[list[CaseResult]]]

# Upload last: its hours of silence would otherwise queue ahead of the other cases' jobs.
CASES: dict[str, Case] = {
    "transcription": transcription.run,
    "diarization": diarization.run,
    "summaries": summaries.run,
    "scaling": scaling.run,
    "pdf": pdf.run,
    "progress": progress.run,
    "api": api.run,
    "end_to_end": end_to_end.run,
    "load": load.run,
    "upload": upload.run,
    "long_memory": long_memory.run,
    "fanout": fanout.run,
}


async def run_bench(sizes: BenchSizes, only: list[str] | None = None) -> BenchRun:
    run = BenchRun(
        started=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        quick=sizes.quick,
        machine=describe_machine(),
    )
    with tempfile.TemporaryDirectory(prefix="speechflow-bench-") as folder:
        scratch = Path(folder) / "inputs"
        scratch.mkdir()
        async with running_mesh(Path(folder) / "mesh") as mesh:
            context = BenchContext(mesh=mesh, sizes=sizes, scratch=scratch)
            for name, case in CASES.items():
                if only and name not in only:
                    continue
                started = time.perf_counter()
                print(f"bench: {name}…", flush=True)
                try:
                    run.cases.extend(await case(context))
                except Exception as error:
                    log.exception("case %s failed", name)
                    run.failures[name] = f"{type(error).__name__}: {error}"
                print(f"bench: {name} took {time.perf_counter() - started:.0f} s", flush=True)
    run.cases.sort(key=lambda c: c.number)
    return run


def benchmarks_document(run: BenchRun) -> str:
    mode = "quick smoke mode (tiny inputs)" if run.quick else "full run"
    return (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m bench`); raw figures of every run go to "
        "`bench/results/<timestamp>.json` (not committed). Every headline is a ratio of two "
        "things measured in the same run, because absolute figures on a shared 2-core machine "
        "drift from run to run. `make bench BENCH_QUICK=1` is the few-minute smoke mode that "
        "`tests/test_bench_smoke.py` runs so the bench never rots.\n\n"
        f"## Last run: {run.started}, {mode}\n\n"
        f"{machine_table(run.machine)}\n\n"
        f"{markdown_table(run)}\n"
        + (f"\n{breakdown}\n" if (breakdown := breakdown_tables(run)) else "")
        + f"\n{transcription.METHOD}"
    )


def main_sync(
    sizes: BenchSizes, results_dir: Path, docs: Path | None, only: list[str] | None
) -> int:
    run = asyncio.run(run_bench(sizes, only))
    path = run.write_json(results_dir)
    print()
    print(markdown_table(run))
    print(f"\nresults: {path}")
    if docs is not None:
        docs.write_text(benchmarks_document(run))
        print(f"table and machine description: {docs}")
    return 1 if run.failures else 0
