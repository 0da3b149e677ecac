"""`jobs ls|show|retry`: the processing jobs behind documents (admin accounts only)."""

from __future__ import annotations

import argparse

from services.cli.commands import Commands, positive_int
from services.cli.context import Context
from services.cli.errors import ExitCode
from services.cli.labels import JOB_STATUS, STAGE
from services.cli.output import message_to_dict
from services.cli.paging import first_items
from services.cli.views import job_view, jobs_table
from speechflow.library.v1 import library_pb2


def add_commands(commands: Commands) -> None:
    jobs = commands.group("jobs", help="processing jobs (admin)")
    listing = jobs.add("ls", list_command, help="list jobs, newest first")
    listing.add_argument("--status", choices=JOB_STATUS.choices, help="only this status")
    listing.add_argument("--stage", choices=STAGE.choices, help="only jobs at this stage")
    listing.add_argument("--limit", type=positive_int, default=20, help="at most this many (20)")
    show = jobs.add("show", show_command, help="show a job and its stage runs")
    show.add_argument("job_id", metavar="ID")
    retry = jobs.add("retry", retry_command, help="re-run a failed job")
    retry.add_argument("job_id", metavar="ID")


def list_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    jobs = first_items(
        args.limit,
        lambda token, size: session.unary(
            session.jobs.ListJobs,
            library_pb2.ListJobsRequest(
                page_size=size,
                page_token=token,
                status=JOB_STATUS.value(args.status) if args.status else 0,  # type: ignore[arg-type]
                stage=STAGE.value(args.stage) if args.stage else 0,  # type: ignore[arg-type]
            ),
        ),
        lambda page: page.jobs,
    )
    context.output.result(
        {"jobs": [message_to_dict(job) for job in jobs]},
        jobs_table(jobs) if jobs else "No jobs match.",
    )
    return ExitCode.OK


def show_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    job = session.unary(session.jobs.GetJob, library_pb2.GetJobRequest(job_id=args.job_id)).job
    context.output.message(job, job_view(job))
    return ExitCode.OK


def retry_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.RetryJobRequest(job_id=args.job_id)
    job = session.unary(session.jobs.RetryJob, request).job
    context.output.message(
        job,
        f"Retrying job {job.id} from the {STAGE.label(job.stage)} stage",
    )
    return ExitCode.OK
