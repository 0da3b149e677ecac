"""How big each case's inputs are: the full run, or the quick smoke mode (`BENCH_QUICK=1`)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchSizes:
    quick: bool
    # cases 1-2: real speech clips (tests.speech_corpus ids), one long file made of them
    # (0 = none), and an espeak-ng recording of the first N sentences of the meeting script
    real_speech_clips: tuple[str, ...]
    long_speech_seconds: float
    espeak_sentences: int
    scaling_jobs: int  # case 3: recordings per batch
    scaling_seconds: float  # case 3: length of each recording
    upload_bytes: int  # case 4
    pdf_segments: int  # case 5: ~21 transcript segments fill a page
    progress_events: int  # case 6: events per watcher count
    progress_watchers: tuple[int, ...]
    progress_interval_seconds: float
    api_documents: int  # case 7: documents the listed user owns
    api_clients: int
    api_seconds_per_rpc: float
    e2e_seconds: float  # case 8: recording length
    load_users: int  # case 9
    diarization_seconds: float  # case 10: length of the synthetic multi-voice meeting
    long_memory_hours: float  # case 11: length of the long recording


FULL = BenchSizes(
    quick=False,
    real_speech_clips=("sense-and-sensibility", "sonnet-1", "jfk", "two-person-call"),
    long_speech_seconds=300,
    espeak_sentences=10,
    scaling_jobs=4,
    scaling_seconds=60,
    upload_bytes=200 * 1000 * 1000,
    pdf_segments=2_100,
    progress_events=1_000,
    progress_watchers=(1, 50),
    progress_interval_seconds=0.01,
    api_documents=1_000,
    api_clients=50,
    api_seconds_per_rpc=10,
    e2e_seconds=60,
    load_users=50,
    diarization_seconds=300,
    long_memory_hours=4,
)

QUICK = BenchSizes(
    quick=True,
    real_speech_clips=("jfk",),  # a 2 MB npm package: the smoke run stays quick
    long_speech_seconds=0,
    espeak_sentences=2,
    scaling_jobs=2,
    scaling_seconds=6,
    upload_bytes=8 * 1000 * 1000,
    pdf_segments=2_100,
    progress_events=100,
    progress_watchers=(1, 10),
    progress_interval_seconds=0.01,
    api_documents=60,
    api_clients=10,
    api_seconds_per_rpc=1.5,
    e2e_seconds=8,
    load_users=5,
    diarization_seconds=30,
    long_memory_hours=0.05,
)


def sizes_from_environment() -> BenchSizes:
    return QUICK if os.environ.get("BENCH_QUICK", "") not in ("", "0", "false") else FULL
