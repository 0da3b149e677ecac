"""What every stage's handler shares (services/kernel/stage.py), without NATS: progress goes to
the stage's catalogue subject, best effort, and a stored output is found again after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.message import Message

from services.kernel import catalogue
from services.kernel.stage import StageWorker, report_progress, transcript_object_key
from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.kernel.transcripts import serialize_transcript
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

JOB = events_pb2.JobContext(document_id="doc-1", owner_id="owner-1", version=3)


class RecordingBus:
    def __init__(self, *, fails: bool = False) -> None:
        self.published: list[tuple[str, Message, str | None]] = []
        self._fails = fails

    async def publish(self, subject: str, message: Message, *, event_id: str | None = None) -> str:
        if self._fails:
            raise ConnectionError("NATS is away")
        self.published.append((subject, message, event_id))
        return event_id or ""


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return store_from_settings(StorageSettings(storage_backend="local", data_dir=tmp_path))


async def test_progress_goes_to_the_stages_catalogue_subject_with_a_deterministic_id() -> None:
    bus = RecordingBus()

    await report_progress(bus, catalogue.SUMMARIZER, JOB, 60, "Summarizing", what="section-1")

    [(subject, message, event_id)] = bus.published
    assert subject == catalogue.SUMMARY_PROGRESSED
    assert message == events_pb2.ProgressReported(
        job=JOB, stage=library_pb2.STAGE_SUMMARIZATION, progress=60, message="Summarizing"
    )
    assert event_id == "doc-1-v3-section-1"


async def test_a_lost_progress_event_does_not_fail_the_job() -> None:
    await report_progress(
        RecordingBus(fails=True), catalogue.TRANSCRIBER, JOB, 20, "Transcribing", what="p-20"
    )


async def test_a_stage_without_progress_events_cannot_report_progress() -> None:
    with pytest.raises(AssertionError):
        await report_progress(RecordingBus(), catalogue.RENDERER, JOB, 80, "Rendering", what="x")


async def test_a_worker_finds_what_an_earlier_run_stored_and_nothing_before(
    store: ObjectStore,
) -> None:
    worker = StageWorker(bus=RecordingBus(), store=store)
    key = transcript_object_key(JOB)
    assert await worker._stored(key) is None

    transcript = library_pb2.Transcript(language="en", model="tiny.en", revision=1)
    store.put_bytes(key, serialize_transcript(transcript), "application/json")

    assert await worker._stored(key) == serialize_transcript(transcript)
    assert await worker._job_transcript(JOB) == transcript
