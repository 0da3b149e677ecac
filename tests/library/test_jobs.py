"""JobsService: admins see, filter and retry processing jobs; failures reach the document."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from nats.js.api import DeliverPolicy

from services.kernel import catalogue
from services.kernel.jetstream import ConsumerSpec, producer_stream
from services.kernel.tokens import Role
from services.transcriber.fanout.chunks import ensure_chunk_stream
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import complete_pipeline, upload

Code = grpc.StatusCode
REASON = "The recording has no speech we could transcribe."


async def job_for(lib: LibraryHarness, admin: User, document_id: str) -> library_pb2.Job:
    listed = await lib.jobs.ListJobs(library_pb2.ListJobsRequest(), metadata=admin.metadata)
    (job,) = [j for j in listed.jobs if j.document_id == document_id]
    return job


def context_of(job: library_pb2.Job, version: int = 1) -> events_pb2.JobContext:
    return events_pb2.JobContext(
        job_id=job.id, document_id=job.document_id, owner_id=job.owner_id, version=version
    )


async def get_job(lib: LibraryHarness, admin: User, job_id: str) -> library_pb2.Job:
    response = await lib.jobs.GetJob(
        library_pb2.GetJobRequest(job_id=job_id), metadata=admin.metadata
    )
    return response.job


async def wait_for_document(
    lib: LibraryHarness,
    user: User,
    document_id: str,
    status: library_pb2.DocumentStatus.ValueType,
) -> library_pb2.Document:
    """Polls until the pipeline's events have been applied (bounded, never timed)."""
    for _ in range(100):
        response = await lib.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
        )
        if response.document.status == status:
            return response.document
        await asyncio.sleep(0.1)
    raise AssertionError(f"document {document_id} never became {status}")


async def fail_transcription(lib: LibraryHarness, user: User, job: library_pb2.Job) -> None:
    await lib.bus.publish(
        "speechflow.transcriber.v1.processing.failed",
        events_pb2.ProcessingFailed(
            job=context_of(job),
            stage=library_pb2.STAGE_TRANSCRIPTION,
            reason=REASON,
            permanent=False,
            attempts=4,
        ),
        event_id=f"failed-{job.id}",
    )
    await wait_for_document(lib, user, job.document_id, library_pb2.DOCUMENT_STATUS_FAILED)


@pytest.mark.asyncio
async def test_jobs_service_is_for_admins_only(lib: LibraryHarness, speech_wav: Path) -> None:
    user, admin = lib.user(), lib.user(Role.ADMIN)
    document = await upload(lib, user, speech_wav)
    job = await job_for(lib, admin, document.id)
    for call in (
        lib.jobs.ListJobs(library_pb2.ListJobsRequest(), metadata=user.metadata),
        lib.jobs.GetJob(library_pb2.GetJobRequest(job_id=job.id), metadata=user.metadata),
        lib.jobs.RetryJob(library_pb2.RetryJobRequest(job_id=job.id), metadata=user.metadata),
    ):
        error = await call_fails(call, Code.PERMISSION_DENIED)
        assert error_info(error).reason == "ADMIN_ONLY"


@pytest.mark.asyncio
async def test_a_failed_stage_fails_the_document_and_the_job(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user, admin = lib.user(), lib.user(Role.ADMIN)
    document = await upload(lib, user, speech_wav)
    job = await job_for(lib, admin, document.id)
    assert (job.status, job.stage, job.attempts) == (
        library_pb2.JOB_STATUS_RUNNING,
        library_pb2.STAGE_TRANSCRIPTION,
        1,
    )
    await fail_transcription(lib, user, job)
    failed = await wait_for_document(lib, user, document.id, library_pb2.DOCUMENT_STATUS_FAILED)
    assert failed.error_message == REASON
    assert failed.stage == library_pb2.STAGE_TRANSCRIPTION
    failed_job = await get_job(lib, admin, job.id)
    assert failed_job.status == library_pb2.JOB_STATUS_FAILED
    assert failed_job.error_message == REASON
    assert failed_job.attempts == 4
    assert [(r.stage, r.error_message) for r in failed_job.runs] == [
        (library_pb2.STAGE_TRANSCRIPTION, REASON)
    ]
    # Watchers of a failed document get its final state, with the reason, and the end.
    watch = lib.library.WatchDocument(
        library_pb2.WatchDocumentRequest(document_id=document.id), metadata=user.metadata
    )
    states = [state async for state in watch]
    assert [(s.status, s.message) for s in states] == [(library_pb2.DOCUMENT_STATUS_FAILED, REASON)]


@pytest.mark.asyncio
async def test_retry_restarts_the_failed_stage(lib: LibraryHarness, speech_wav: Path) -> None:
    user, admin = lib.user(), lib.user(Role.ADMIN)
    document = await upload(lib, user, speech_wav)
    job = await job_for(lib, admin, document.id)
    retry = library_pb2.RetryJobRequest(job_id=job.id)
    running = await call_fails(
        lib.jobs.RetryJob(retry, metadata=admin.metadata), Code.FAILED_PRECONDITION
    )
    assert error_info(running).reason == "JOB_NOT_FAILED"
    await fail_transcription(lib, user, job)

    requests = await lib.bus.js.subscribe(
        "speechflow.library.v1.transcription.requested",
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
    )
    try:
        retried = (await lib.jobs.RetryJob(retry, metadata=admin.metadata)).job
        message = await requests.next_msg(timeout=10)
    finally:
        await requests.unsubscribe()
    assert (retried.id, retried.status, retried.stage) == (
        job.id,
        library_pb2.JOB_STATUS_RUNNING,
        library_pb2.STAGE_TRANSCRIPTION,
    )
    assert retried.attempts == 5
    assert retried.error_message == ""
    requested = events_pb2.StageRequested.FromString(message.data).job
    assert (requested.job_id, requested.document_id, requested.version) == (
        job.id,
        document.id,
        2,
    )
    again = await wait_for_document(lib, user, document.id, library_pb2.DOCUMENT_STATUS_PROCESSING)
    assert (again.progress, again.stage, again.error_message) == (
        10,
        library_pb2.STAGE_TRANSCRIPTION,
        "",
    )
    # Running again, it cannot be retried twice.
    await call_fails(lib.jobs.RetryJob(retry, metadata=admin.metadata), Code.FAILED_PRECONDITION)
    # The retried version completes normally; the first attempt's run stays on record.
    await complete_pipeline(lib.bus, context_of(job, version=2), tag=f"retried-{job.id}")
    await wait_for_document(lib, user, document.id, library_pb2.DOCUMENT_STATUS_COMPLETED)
    succeeded = await get_job(lib, admin, job.id)
    assert succeeded.status == library_pb2.JOB_STATUS_SUCCEEDED
    assert succeeded.runs[0].error_message == REASON
    assert len(succeeded.runs) == 4  # the failed run, then transcription, summary, render


@pytest.mark.asyncio
async def test_unknown_job_is_not_found(lib: LibraryHarness) -> None:
    admin = lib.user(Role.ADMIN)
    for call in (
        lib.jobs.GetJob(library_pb2.GetJobRequest(job_id="nope"), metadata=admin.metadata),
        lib.jobs.RetryJob(library_pb2.RetryJobRequest(job_id="nope"), metadata=admin.metadata),
    ):
        error = await call_fails(call, Code.NOT_FOUND)
        assert error_info(error).reason == "JOB_NOT_FOUND"
    await call_fails(
        lib.jobs.GetJob(library_pb2.GetJobRequest(job_id=""), metadata=admin.metadata),
        Code.INVALID_ARGUMENT,
    )


@pytest.mark.asyncio
async def test_list_jobs_filters_by_status_and_stage_and_pages(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    alice, bob, admin = lib.user(), lib.user(), lib.user(Role.ADMIN)
    failing = await upload(lib, alice, speech_wav)
    finishing = await upload(lib, bob, speech_wav)
    running = await upload(lib, alice, speech_wav)
    failed_job = await job_for(lib, admin, failing.id)
    done_job = await job_for(lib, admin, finishing.id)
    running_job = await job_for(lib, admin, running.id)
    await fail_transcription(lib, alice, failed_job)
    await complete_pipeline(lib.bus, context_of(done_job), tag=f"list-{done_job.id}")
    await wait_for_document(lib, bob, finishing.id, library_pb2.DOCUMENT_STATUS_COMPLETED)

    async def listed(**fields: int) -> list[str]:
        request = library_pb2.ListJobsRequest(**fields)  # type: ignore[arg-type]
        return [j.id for j in (await lib.jobs.ListJobs(request, metadata=admin.metadata)).jobs]

    # Every user's jobs, newest first.
    assert await listed() == [running_job.id, done_job.id, failed_job.id]
    assert await listed(status=library_pb2.JOB_STATUS_FAILED) == [failed_job.id]
    assert await listed(status=library_pb2.JOB_STATUS_SUCCEEDED) == [done_job.id]
    assert await listed(status=library_pb2.JOB_STATUS_RUNNING) == [running_job.id]
    assert await listed(stage=library_pb2.STAGE_TRANSCRIPTION) == [
        running_job.id,
        failed_job.id,
    ]
    assert (
        await listed(status=library_pb2.JOB_STATUS_RUNNING, stage=library_pb2.STAGE_RENDERING) == []
    )

    first = await lib.jobs.ListJobs(
        library_pb2.ListJobsRequest(page_size=2), metadata=admin.metadata
    )
    second = await lib.jobs.ListJobs(
        library_pb2.ListJobsRequest(page_size=2, page_token=first.next_page_token),
        metadata=admin.metadata,
    )
    assert [j.id for j in [*first.jobs, *second.jobs]] == [
        running_job.id,
        done_job.id,
        failed_job.id,
    ]
    assert second.next_page_token == ""
    await call_fails(
        lib.jobs.ListJobs(
            library_pb2.ListJobsRequest(
                page_token=first.next_page_token, status=library_pb2.JOB_STATUS_FAILED
            ),
            metadata=admin.metadata,
        ),
        Code.INVALID_ARGUMENT,
    )


async def test_queue_view_reports_every_stage_for_admins(lib: LibraryHarness) -> None:
    user, admin = lib.user(), lib.user(Role.ADMIN)
    await call_fails(
        lib.jobs.GetQueueStats(library_pb2.GetQueueStatsRequest(), metadata=user.metadata),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    stats = await lib.jobs.GetQueueStats(
        library_pb2.GetQueueStatsRequest(), metadata=admin.metadata
    )
    assert [q.stage for q in stats.stages] == [
        library_pb2.STAGE_TRANSCRIPTION,
        library_pb2.STAGE_SUMMARIZATION,
        library_pb2.STAGE_RENDERING,
        library_pb2.STAGE_NOTIFICATION,
    ]
    assert all(q.pending >= 0 and q.failed_jobs >= 0 for q in stats.stages)


async def test_queue_view_counts_waiting_events_and_failed_jobs(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    admin, user = lib.user(Role.ADMIN), lib.user()
    # The transcriber's durable consumer, as a stopped transcriber would leave it.
    spec = ConsumerSpec(
        stream=producer_stream("library").name,
        durable="transcriber-from-library",
        subjects=["speechflow.library.v1.document.uploaded"],
    )
    await lib.bus.ensure_consumer(spec)
    try:
        before = await lib.jobs.GetQueueStats(
            library_pb2.GetQueueStatsRequest(), metadata=admin.metadata
        )
        await upload(lib, user, speech_wav)
        for _ in range(100):  # the outbox relay publishes just after the commit
            after = await lib.jobs.GetQueueStats(
                library_pb2.GetQueueStatsRequest(), metadata=admin.metadata
            )
            if after.stages[0].pending > before.stages[0].pending:
                break
            await asyncio.sleep(0.05)
        assert after.stages[0].pending == before.stages[0].pending + 1
    finally:
        await lib.bus.js.delete_consumer(spec.stream, spec.durable)


async def test_queue_view_counts_the_chunks_waiting_for_a_transcriber(
    lib: LibraryHarness,
) -> None:
    """A long recording's chunks (fan-out) wait in the transcriber's own work queue: counted
    on the transcription stage, apart from its jobs."""
    admin = lib.user(Role.ADMIN)
    chunks = catalogue.TRANSCRIBER_CHUNK_CONSUMER
    await ensure_chunk_stream(lib.bus)
    await lib.bus.ensure_consumer(chunks.spec())
    try:
        before = await lib.jobs.GetQueueStats(
            library_pb2.GetQueueStatsRequest(), metadata=admin.metadata
        )
        for index in range(3):
            request = events_pb2.TranscriptionChunkRequested(chunk_index=index)
            await lib.bus.publish(chunks.subjects[0], request, event_id=f"queue-view-{index}")
        after = await lib.jobs.GetQueueStats(
            library_pb2.GetQueueStatsRequest(), metadata=admin.metadata
        )
    finally:
        await lib.bus.js.delete_stream(chunks.stream)
    transcription, *others = after.stages
    assert transcription.pending_chunks == before.stages[0].pending_chunks + 3
    assert transcription.pending == before.stages[0].pending  # chunks are not jobs
    assert all(q.pending_chunks == q.in_progress_chunks == 0 for q in others)


async def test_admins_see_which_document_and_owner_a_job_is_about(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    admin, owner = lib.user(Role.ADMIN), lib.user()
    document = await upload(lib, owner, speech_wav, title="Board meeting")

    listed = await job_for(lib, admin, document.id)
    fetched = await get_job(lib, admin, listed.id)

    for job in (listed, fetched):
        assert (job.document_title, job.owner_email) == ("Board meeting", owner.email)
