"""`make bench BENCH_QUICK=1` must keep working: run the quick bench for real, check that every
case reported a headline and that the run was written out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import CASES

ROOT = Path(__file__).resolve().parents[1]
SMOKE_TIMEOUT_SECONDS = 600

# The whole quick bench runs in the subprocess below, bounded by its own timeout; the suite's
# default per-test timeout is for single tests and would cut it short.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(SMOKE_TIMEOUT_SECONDS + 60)]


def test_quick_bench_reports_every_case_and_writes_its_results(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--results-dir", str(tmp_path), "--docs", str(docs)],
        cwd=ROOT,
        env={**os.environ, "BENCH_QUICK": "1"},
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    [results] = tmp_path.glob("*.json")
    run = json.loads(results.read_text())
    assert run["quick"] is True
    assert run["failures"] == {}
    assert len(run["cases"]) >= len(CASES)
    assert all(case["headline"]["value"] is not None for case in run["cases"])
    assert "| 1 | Transcription overhead |" in completed.stdout
    assert "Python" in docs.read_text()
