"""JobsService (admins): jobs, retries and the per-stage queue view."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from services.kernel import catalogue
from services.kernel.db import Database
from services.kernel.errors import (
    NotFound,
)
from services.kernel.tokens import require_admin
from services.library.api_base import Context, require_id
from services.library.convert import job_message
from services.library.domain import Stage
from services.library.lifecycle.handlers import StartVersion
from services.library.lifecycle.queries import JobListing
from services.library.lifecycle.service import Lifecycle
from services.library.lifecycle.sql_queries import SqlDocumentQueries
from services.library.lifecycle_edge import refusals_mapped
from services.library.pages import Paging
from services.library.store import DocumentRow, JobRow
from speechflow.library.v1 import library_pb2, library_pb2_grpc

# The stages the queue view shows, in pipeline order.
QUEUE_STAGES = tuple(Stage(step.stage) for step in catalogue.STAGES)


@dataclass
class _Backlog:
    pending: int = 0  # not yet delivered
    in_progress: int = 0  # delivered, not yet acked
    redelivered: int = 0


@refusals_mapped(library_pb2.DESCRIPTOR.services_by_name["JobsService"])
class JobsServicer(library_pb2_grpc.JobsServiceServicer):
    def __init__(self, db: Database, lifecycle: Lifecycle, js: JetStreamContext) -> None:
        self._queries = SqlDocumentQueries(db)
        self._lifecycle = lifecycle
        self._js = js

    async def GetQueueStats(
        self, request: library_pb2.GetQueueStatsRequest, context: Context
    ) -> library_pb2.GetQueueStatsResponse:
        require_admin()
        failed = await self._queries.failed_jobs_by_stage()
        stages = []
        for stage in QUEUE_STAGES:
            jobs = await self._backlog(catalogue.consumers_feeding(stage))
            chunks = await self._backlog(catalogue.work_queues_feeding(stage))
            stages.append(
                library_pb2.StageQueue(
                    stage=library_pb2.Stage.ValueType(stage),
                    pending=jobs.pending,
                    in_progress=jobs.in_progress,
                    redelivered=jobs.redelivered,
                    failed_jobs=int(failed.get(stage, 0)),
                    pending_chunks=chunks.pending,
                    in_progress_chunks=chunks.in_progress,
                )
            )
        return library_pb2.GetQueueStatsResponse(stages=stages)

    async def _backlog(self, consumers: Iterable[catalogue.Consumer]) -> _Backlog:
        """What waits for the durable `consumers`, together."""
        total = _Backlog()
        for consumer in consumers:
            try:
                info = await self._js.consumer_info(consumer.stream, consumer.durable)
            except NotFoundError:
                continue  # its service has not started yet
            total.pending += info.num_pending or 0
            total.in_progress += info.num_ack_pending or 0
            total.redelivered += info.num_redelivered or 0
        return total

    async def _job(self, job_id: str) -> JobRow:
        job = await self._queries.job(require_id(job_id, "job_id"))
        if job is None:
            raise NotFound(f"Job {job_id} does not exist.", reason="JOB_NOT_FOUND")
        return job

    async def _document_of(self, job: JobRow) -> DocumentRow | None:
        return await self._queries.document(job.document_id)

    async def ListJobs(
        self, request: library_pb2.ListJobsRequest, context: Context
    ) -> library_pb2.ListJobsResponse:
        require_admin()
        paging = Paging.of(request, "jobs", request.status, request.stage)
        page = await self._queries.jobs(
            JobListing(
                size=paging.size,
                status=int(request.status) or None,
                stage=int(request.stage) or None,
                after=paging.cursor(),
            )
        )
        jobs = [job_message(job, document) for job, document in page.rows]
        return library_pb2.ListJobsResponse(jobs=jobs, next_page_token=paging.next_token(page.last))

    async def GetJob(
        self, request: library_pb2.GetJobRequest, context: Context
    ) -> library_pb2.GetJobResponse:
        require_admin()
        job = await self._job(request.job_id)
        return library_pb2.GetJobResponse(job=job_message(job, await self._document_of(job)))

    async def RetryJob(
        self, request: library_pb2.RetryJobRequest, context: Context
    ) -> library_pb2.RetryJobResponse:
        require_admin()
        job = await self._job(request.job_id)
        await self._lifecycle.start_version(
            StartVersion(job.document_id, Stage(job.stage), retry_job_id=job.id)
        )
        retried = await self._job(job.id)
        return library_pb2.RetryJobResponse(
            job=job_message(retried, await self._document_of(retried))
        )
