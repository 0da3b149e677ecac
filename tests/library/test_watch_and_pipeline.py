"""Live progress (WatchDocument), the pipeline's events, and regenerating a document."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypeAlias

import grpc
import grpc.aio
import pytest
from google.protobuf.message import Message
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext

from services.kernel.jetstream import ReceivedEvent
from services.kernel.tokens import Role
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import complete_pipeline, job_of, upload

Code = grpc.StatusCode
PROCESSING = library_pb2.DOCUMENT_STATUS_PROCESSING
COMPLETED = library_pb2.DOCUMENT_STATUS_COMPLETED
WatchCall: TypeAlias = (
    "grpc.aio.UnaryStreamCall[library_pb2.WatchDocumentRequest, library_pb2.WatchDocumentResponse]"
)


def pipeline_steps(job: events_pb2.JobContext, tag: str) -> list[tuple[str, Message, int, int]]:
    """(subject, event, progress after it, stage after it), in the order the stages run."""
    pdfs = f"pdfs/{job.owner_id}/{job.document_id}"
    return [
        (
            "speechflow.transcriber.v1.transcription.progressed",
            events_pb2.ProgressReported(
                job=job, stage=library_pb2.STAGE_TRANSCRIPTION, progress=30
            ),
            30,
            library_pb2.STAGE_TRANSCRIPTION,
        ),
        (
            "speechflow.transcriber.v1.transcription.completed",
            events_pb2.TranscriptionCompleted(
                job=job,
                transcript_key=f"transcripts/{job.owner_id}/{job.document_id}/transcript.json",
                text=f"{tag} transcript",
            ),
            50,
            library_pb2.STAGE_SUMMARIZATION,
        ),
        (
            "speechflow.summarizer.v1.summary.completed",
            events_pb2.SummaryCompleted(job=job, summary=events_pb2.Summary(summary="Short.")),
            75,
            library_pb2.STAGE_RENDERING,
        ),
        (
            "speechflow.renderer.v1.document.rendered",
            events_pb2.DocumentRendered(
                job=job,
                pdf_key=f"{pdfs}/pdf-v{job.version}.pdf",
                thumbnail_key=f"{pdfs}/thumbnail-v{job.version}.png",
            ),
            100,  # the report exists: COMPLETED at once, the email is no stage of it
            library_pb2.STAGE_RENDERING,
        ),
    ]


def watch(lib: LibraryHarness, user: User, document_id: str) -> WatchCall:
    return lib.library.WatchDocument(
        library_pb2.WatchDocumentRequest(document_id=document_id), metadata=user.metadata
    )


async def next_state(call: WatchCall) -> library_pb2.WatchDocumentResponse:
    message = await asyncio.wait_for(call.read(), timeout=10)
    assert message is not grpc.aio.EOF, "the watch ended early"
    assert isinstance(message, library_pb2.WatchDocumentResponse)
    return message


async def rest_of(call: WatchCall) -> list[library_pb2.WatchDocumentResponse]:
    """Every remaining state until the server ends the stream."""
    states: list[library_pb2.WatchDocumentResponse] = []
    while (message := await asyncio.wait_for(call.read(), timeout=10)) is not grpc.aio.EOF:
        assert isinstance(message, library_pb2.WatchDocumentResponse)
        states.append(message)
    return states


async def get_document(lib: LibraryHarness, user: User, document_id: str) -> library_pb2.Document:
    response = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
    )
    return response.document


async def completed_document(
    lib: LibraryHarness, user: User, speech_wav: Path
) -> tuple[library_pb2.Document, events_pb2.JobContext]:
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    call = watch(lib, user, document.id)
    await complete_pipeline(lib.bus, job, tag=f"done-{document.id}")
    states = await rest_of(call)
    assert states[-1].status == COMPLETED
    return await get_document(lib, user, document.id), job


async def requests_from(lib: LibraryHarness, subject: str) -> JetStreamContext.PushSubscription:
    """Subscribes to events published from now on (call before the action under test)."""
    return await lib.bus.js.subscribe(
        subject, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
    )


async def request_for(
    subscription: JetStreamContext.PushSubscription, document_id: str
) -> events_pb2.StageRequested:
    try:
        while True:
            message = await subscription.next_msg(timeout=10)
            request = events_pb2.StageRequested.FromString(message.data)
            if request.job.document_id == document_id:
                return request
    finally:
        await subscription.unsubscribe()


@pytest.mark.asyncio
async def test_watchers_see_the_current_state_then_every_stage_until_completed(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    watchers = [watch(lib, user, document.id) for _ in range(2)]
    for call in watchers:
        first = await next_state(call)
        assert (first.document_id, first.status, first.progress, first.stage) == (
            document.id,
            PROCESSING,
            10,
            library_pb2.STAGE_TRANSCRIPTION,
        )
    # Each stage runs after the one before it, so its event arrives after that one's effect.
    for n, (subject, event, progress, stage) in enumerate(pipeline_steps(job, "watch")):
        await lib.bus.publish(subject, event, event_id=f"watch-{document.id}-{n}")
        for call in watchers:
            state = await next_state(call)
            assert (state.progress, state.stage) == (progress, stage), subject
            assert state.status == (COMPLETED if progress == 100 else PROCESSING)
    for call in watchers:
        assert await rest_of(call) == []  # the stream ends at COMPLETED


@pytest.mark.asyncio
async def test_a_stage_result_the_library_did_not_ask_for_is_ignored(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    # The library commands each stage once the previous result is applied, so a result that
    # arrives before its command (only a misbehaving stage sends one) changes nothing: there
    # is no re-ordering loop.
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    pipeline = lib.app.parts["pipeline"]
    for n, (subject, event, _progress, _stage) in enumerate(pipeline_steps(job, "early")[2:]):
        await pipeline.handle(
            ReceivedEvent(
                subject=subject,
                data=event.SerializeToString(),
                headers={},
                attempt=1,
                event_id=f"early-{document.id}-{n}",
            )
        )
    early = await get_document(lib, user, document.id)
    assert (early.status, early.stage, early.has_pdf) == (
        PROCESSING,
        library_pb2.STAGE_TRANSCRIPTION,
        False,
    )
    call = watch(lib, user, document.id)
    await complete_pipeline(lib.bus, job, tag=f"burst-{document.id}")
    states = [await next_state(call), *await rest_of(call)]
    progress = [s.progress for s in states]
    assert progress == sorted(progress)  # never backwards
    assert (states[-1].status, states[-1].progress) == (COMPLETED, 100)
    done = await get_document(lib, user, document.id)
    assert done.has_pdf
    assert done.has_thumbnail
    assert done.transcript_text == "budget meeting about engineers"
    assert done.summary_text == "They decided to hire."
    assert done.stage == library_pb2.STAGE_RENDERING
    assert done.version == 1
    assert done.HasField("process_time")


@pytest.mark.asyncio
async def test_watching_a_finished_document_yields_one_state_and_ends(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document, _job = await completed_document(lib, user, speech_wav)
    states = await rest_of(watch(lib, user, document.id))
    assert [(s.status, s.progress) for s in states] == [(COMPLETED, 100)]


@pytest.mark.asyncio
async def test_watching_an_unknown_document_is_not_found(lib: LibraryHarness) -> None:
    user = lib.user()
    await call_fails(rest_of(watch(lib, user, "no-such-document")), Code.NOT_FOUND)


@pytest.mark.asyncio
async def test_a_redelivered_event_changes_nothing(lib: LibraryHarness, speech_wav: Path) -> None:
    user, admin = lib.user(), lib.user(Role.ADMIN)
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    subject, event, _progress, _stage = pipeline_steps(job, "redelivered")[1]
    received = ReceivedEvent(
        subject=subject,
        data=event.SerializeToString(),
        headers={},
        attempt=1,
        event_id=f"redelivered-{document.id}",
    )
    pipeline = lib.app.parts["pipeline"]

    async def runs() -> int:
        response = await lib.jobs.GetJob(
            library_pb2.GetJobRequest(job_id=job.job_id), metadata=admin.metadata
        )
        return len(response.job.runs)

    await pipeline.handle(received)
    once = await get_document(lib, user, document.id)
    assert (once.progress, once.stage) == (50, library_pb2.STAGE_SUMMARIZATION)
    assert await runs() == 1
    await pipeline.handle(received)
    assert await get_document(lib, user, document.id) == once
    assert await runs() == 1


@pytest.mark.asyncio
async def test_regenerate_resummarizes_with_new_settings(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document, old_job = await completed_document(lib, user, speech_wav)
    requests = await requests_from(lib, "speechflow.library.v1.summary.requested")
    response = await lib.library.RegenerateDocument(
        library_pb2.RegenerateDocumentRequest(
            document_id=document.id, language="EN", summary_length=library_pb2.SUMMARY_LENGTH_LONG
        ),
        metadata=user.metadata,
    )
    regenerated = response.document
    assert (regenerated.status, regenerated.progress, regenerated.stage) == (
        PROCESSING,
        50,
        library_pb2.STAGE_SUMMARIZATION,
    )
    # The deprecated `language` is the summary's; the recording's language stays as it was.
    assert (regenerated.language, regenerated.summary_language) == (document.language, "en")
    assert regenerated.summary_length == library_pb2.SUMMARY_LENGTH_LONG
    assert regenerated.transcript_text == document.transcript_text  # no re-transcription
    request = (await request_for(requests, document.id)).job
    assert request.version == old_job.version + 1
    assert (request.language, request.summary_language, request.summary_length) == (
        document.language,
        "en",
        library_pb2.SUMMARY_LENGTH_LONG,
    )
    assert request.job_id != old_job.job_id
    assert (await job_of(lib, document.id)).version == request.version

    # A late event of the superseded version is ignored.
    subject, event, _progress, _stage = pipeline_steps(old_job, "stale")[2]
    await lib.app.parts["pipeline"].handle(
        ReceivedEvent(
            subject=subject,
            data=event.SerializeToString(),
            headers={},
            attempt=1,
            event_id=f"stale-{document.id}",
        )
    )
    after = await get_document(lib, user, document.id)
    assert (after.status, after.progress, after.stage) == (
        PROCESSING,
        50,
        library_pb2.STAGE_SUMMARIZATION,
    )
    assert after.summary_text == document.summary_text


@pytest.mark.asyncio
async def test_regenerate_rejects_unsupported_settings(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    for request in (
        library_pb2.RegenerateDocumentRequest(document_id=document.id, language="not a tag"),
        library_pb2.RegenerateDocumentRequest(
            document_id=document.id,
            language="en",
            summary_length=library_pb2.SummaryLength.ValueType(9),
        ),
    ):
        error = await call_fails(
            lib.library.RegenerateDocument(request, metadata=user.metadata),
            Code.INVALID_ARGUMENT,
        )
        assert error_info(error).reason in {"INVALID_SUMMARY_LANGUAGE", "INVALID_SUMMARY_LENGTH"}


@pytest.mark.asyncio
async def test_regenerate_needs_a_transcript(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    error = await call_fails(
        lib.library.RegenerateDocument(
            library_pb2.RegenerateDocumentRequest(
                document_id=document.id,
                language="en",
                summary_length=library_pb2.SUMMARY_LENGTH_SHORT,
            ),
            metadata=user.metadata,
        ),
        Code.FAILED_PRECONDITION,
    )
    assert error_info(error).reason == "NO_TRANSCRIPT"
    unchanged = await get_document(lib, user, document.id)
    assert (unchanged.progress, unchanged.stage) == (10, library_pb2.STAGE_TRANSCRIPTION)
