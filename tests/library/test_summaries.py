"""Summaries in the library: the summary's language (never the recording's), the structured
summary from `summary.completed`, generated vs given titles, speaker name suggestions,
summary templates and whether a version emails."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import func, select

from services.kernel.transcripts import serialize_transcript
from services.library.store import SummaryTemplateRow
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from speechflow.summarizer.v1 import summarizer_pb2, summarizer_pb2_grpc
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import complete_pipeline, job_of, upload
from tests.library.test_transcripts import two_speaker_transcript

Code = grpc.StatusCode


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The library asks the summarizer's GetInfo whether an LLM can write the summary; the stand-in
# answers like a summarizer with or without one. Its port is fixed before `lib` starts.
SUMMARIZER_PORT = _free_port()
with_summarizer = pytest.mark.library_settings(summarizer_address=f"127.0.0.1:{SUMMARIZER_PORT}")
OFFLINE = {"providers": "extractive"}
WITH_LLM = {"providers": "local-llm, extractive"}


class StandInSummarizer(summarizer_pb2_grpc.SummarizerServiceServicer):
    def __init__(self) -> None:
        self.settings: dict[str, str] = dict(OFFLINE)

    async def GetInfo(
        self, request: summarizer_pb2.GetInfoRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> summarizer_pb2.GetInfoResponse:
        return summarizer_pb2.GetInfoResponse(settings=self.settings)


@pytest.fixture
async def summarizer() -> AsyncIterator[StandInSummarizer]:
    servicer = StandInSummarizer()
    server = grpc.aio.server()
    summarizer_pb2_grpc.add_SummarizerServiceServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{SUMMARIZER_PORT}")
    await server.start()
    try:
        yield servicer
    finally:
        await server.stop(grace=None)


async def get_document(lib: LibraryHarness, user: User, document_id: str) -> library_pb2.Document:
    response = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
    )
    return response.document


async def until_completed(lib: LibraryHarness, user: User, document_id: str) -> None:
    call = lib.library.WatchDocument(
        library_pb2.WatchDocumentRequest(document_id=document_id), metadata=user.metadata
    )
    last: Any = None
    while (message := await asyncio.wait_for(call.read(), timeout=15)) is not grpc.aio.EOF:
        last = message
    assert last is not None
    assert last.status == library_pb2.DOCUMENT_STATUS_COMPLETED, last


async def completed(
    lib: LibraryHarness,
    user: User,
    speech_wav: Path,
    summary: events_pb2.Summary | None = None,
    **fields: Any,
) -> library_pb2.Document:
    document = await upload(lib, user, speech_wav, **fields)
    job = await job_of(lib, document.id)
    await complete_pipeline(
        lib.bus, job, tag=f"done-{document.id}", summary=summary, speaker_count=3
    )
    await until_completed(lib, user, document.id)
    return await get_document(lib, user, document.id)


async def regenerate(
    lib: LibraryHarness, user: User, **fields: Any
) -> tuple[library_pb2.Document, events_pb2.JobContext]:
    response = await lib.library.RegenerateDocument(
        library_pb2.RegenerateDocumentRequest(**fields), metadata=user.metadata
    )
    return response.document, await job_of(lib, response.document.id)


def meeting_summary(**fields: Any) -> events_pb2.Summary:
    values: dict[str, Any] = {
        "title": "Launch plan and budget cap",
        "summary": "The team moved the launch and capped the budget.",
        "key_points": ["The budget is capped at $50,000"],
        "decisions": ["Launch moves to March 3", "Budget capped at $50,000"],
        "action_items": [
            events_pb2.ActionItem(text="Send the revised plan", owner="Maria", due="2026-12-04"),
            events_pb2.ActionItem(text="Book the venue", owner="Daniel", due="next week"),
            events_pb2.ActionItem(text="Check the contract"),
        ],
        "topics": [
            events_pb2.Topic(title="Launch date", start_seconds=0.0, end_seconds=61.5),
            events_pb2.Topic(title="Budget", start_seconds=61.5, end_seconds=130.0),
        ],
        "language": "en",
        "provider": "local-llm",
        "model": "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "built_from_sections": True,
        "speaker_names": [
            events_pb2.SpeakerName(speaker_id="S1", name="Maria"),
            events_pb2.SpeakerName(speaker_id="S2", name="Daniel"),
        ],
    }
    return events_pb2.Summary(**(values | fields))


async def create_template(
    lib: LibraryHarness, user: User, name: str, instructions: str = "List the homework."
) -> library_pb2.SummaryTemplate:
    response = await lib.library.CreateSummaryTemplate(
        library_pb2.CreateSummaryTemplateRequest(
            summary_template=library_pb2.SummaryTemplate(name=name, instructions=instructions)
        ),
        metadata=user.metadata,
    )
    return response.summary_template


# --- The summary's language ------------------------------------------------------------


@with_summarizer
@pytest.mark.asyncio
async def test_summary_in_another_language_without_an_llm_is_refused_at_upload(
    lib: LibraryHarness, speech_wav: Path, summarizer: StandInSummarizer
) -> None:
    user = lib.user()
    error = await call_fails(
        upload(lib, user, speech_wav, language="en", summary_language="fr"),
        Code.FAILED_PRECONDITION,
    )
    assert "cannot translate" in (error.details() or "")
    assert error_info(error).reason == "SUMMARY_TRANSLATION_UNAVAILABLE"
    assert lib.stored_keys(user) == []


@with_summarizer
@pytest.mark.asyncio
async def test_summary_in_the_recording_language_needs_no_llm(
    lib: LibraryHarness, speech_wav: Path, summarizer: StandInSummarizer
) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav, language="en", summary_language="EN_gb")

    assert (document.language, document.summary_language) == ("en", "en-GB")


@with_summarizer
@pytest.mark.asyncio
async def test_with_an_llm_the_summary_language_travels_apart_from_the_recording_language(
    lib: LibraryHarness, speech_wav: Path, summarizer: StandInSummarizer
) -> None:
    summarizer.settings = dict(WITH_LLM)
    user = lib.user()
    document = await upload(lib, user, speech_wav, language="en", summary_language="fr")
    job = await job_of(lib, document.id)

    assert (document.language, document.summary_language) == ("en", "fr")
    assert (job.language, job.summary_language) == ("en", "fr")


@with_summarizer
@pytest.mark.asyncio
async def test_the_summarizers_own_translates_setting_wins_over_its_provider_list(
    lib: LibraryHarness, speech_wav: Path, summarizer: StandInSummarizer
) -> None:
    summarizer.settings = {"providers": "openai-compatible, extractive", "translates": "false"}
    user = lib.user()
    await call_fails(
        upload(lib, user, speech_wav, language="fr", summary_language="en"),
        Code.FAILED_PRECONDITION,
    )


@pytest.mark.library_settings(summarizer_address=f"127.0.0.1:{_free_port()}")
@pytest.mark.asyncio
async def test_an_unreachable_summarizer_is_unavailable_not_a_refusal(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    error = await call_fails(
        upload(lib, user, speech_wav, language="en", summary_language="fr"), Code.UNAVAILABLE
    )
    assert error_info(error).reason == "SUMMARIZER_UNAVAILABLE"


@pytest.mark.asyncio
async def test_a_summary_language_that_is_not_a_language_tag_is_invalid(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    error = await call_fails(
        upload(lib, lib.user(), speech_wav, summary_language="French please"),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "INVALID_SUMMARY_LANGUAGE"


@with_summarizer
@pytest.mark.asyncio
async def test_regenerate_in_another_language_keeps_the_recording_language(
    lib: LibraryHarness, speech_wav: Path, summarizer: StandInSummarizer
) -> None:
    summarizer.settings = dict(WITH_LLM)
    user = lib.user()
    document = await completed(lib, user, speech_wav, language="en")

    regenerated, job = await regenerate(lib, user, document_id=document.id, summary_language="fr")
    assert (regenerated.language, regenerated.summary_language) == ("en", "fr")
    assert (job.language, job.summary_language) == ("en", "fr")

    # The deprecated `language` is the summary's language too.
    await until_completed_again(lib, user, job)
    regenerated, job = await regenerate(lib, user, document_id=document.id, language="de")
    assert (regenerated.language, regenerated.summary_language) == ("en", "de")
    assert (job.language, job.summary_language) == ("en", "de")


async def until_completed_again(
    lib: LibraryHarness, user: User, job: events_pb2.JobContext
) -> None:
    """Finishes the regenerated version `job` (its stages after transcription)."""
    await complete_pipeline(
        lib.bus, job, tag=f"{job.job_id}-{job.version}", summary=meeting_summary()
    )
    await until_completed(lib, user, job.document_id)


@with_summarizer
@pytest.mark.asyncio
async def test_regenerate_in_another_language_without_an_llm_is_refused_and_changes_nothing(
    lib: LibraryHarness, speech_wav: Path, summarizer: StandInSummarizer
) -> None:
    user = lib.user()
    document = await completed(lib, user, speech_wav)  # detected as English

    for request in (
        library_pb2.RegenerateDocumentRequest(document_id=document.id, summary_language="fr"),
        library_pb2.RegenerateDocumentRequest(document_id=document.id, language="fr"),
    ):
        error = await call_fails(
            lib.library.RegenerateDocument(request, metadata=user.metadata),
            Code.FAILED_PRECONDITION,
        )
        assert "cannot translate" in (error.details() or "")
    after = await get_document(lib, user, document.id)
    assert (after.status, after.language, after.summary_language) == (
        library_pb2.DOCUMENT_STATUS_COMPLETED,
        document.language,
        "",
    )


# --- The structured summary --------------------------------------------------------------


@pytest.mark.asyncio
async def test_summary_completed_fills_the_structured_summary_and_the_flat_fields(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await completed(lib, user, speech_wav, summary=meeting_summary())
    summary = document.summary

    assert [(a.text, a.owner, a.due) for a in summary.action_items] == [
        ("Send the revised plan", "Maria", "2026-12-04"),
        ("Book the venue", "Daniel", "next week"),
        ("Check the contract", "", ""),
    ]
    assert list(summary.decisions) == ["Launch moves to March 3", "Budget capped at $50,000"]
    assert [
        (t.title, t.start_offset.ToTimedelta().total_seconds(), t.end_offset.ToTimedelta().seconds)
        for t in summary.topics
    ] == [("Launch date", 0.0, 61), ("Budget", 61.5, 130)]
    assert (summary.title, summary.text, summary.language) == (
        "Launch plan and budget cap",
        "The team moved the launch and capped the budget.",
        "en",
    )
    assert (summary.provider, summary.model, summary.built_from_sections) == (
        "local-llm",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        True,
    )
    assert list(summary.key_points) == ["The budget is capped at $50,000"]
    # The fields clients used before keep working.
    assert document.summary_text == summary.text
    assert list(document.key_points) == list(summary.key_points)
    assert list(document.action_items) == [
        "Send the revised plan (Maria; due 2026-12-04)",
        "Book the venue (Daniel; due next week)",
        "Check the contract",
    ]
    assert document.speaker_count == 3


@pytest.mark.asyncio
async def test_the_generated_title_replaces_the_file_name_title(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await completed(lib, user, speech_wav, summary=meeting_summary())

    assert document.title == "Launch plan and budget cap"


@pytest.mark.asyncio
async def test_a_title_given_at_upload_is_kept(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await completed(
        lib, user, speech_wav, summary=meeting_summary(), title="Board meeting"
    )

    assert document.title == "Board meeting"
    assert document.summary.title == "Launch plan and budget cap"
    job = await job_of(lib, document.id)
    assert job.title == "Board meeting"


@pytest.mark.asyncio
async def test_a_renamed_document_keeps_its_name_when_summarized_again(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await completed(lib, user, speech_wav, summary=meeting_summary())
    await lib.library.UpdateDocument(
        library_pb2.UpdateDocumentRequest(
            document=library_pb2.Document(id=document.id, title="My name for it"),
            update_mask=FieldMask(paths=["title"]),
        ),
        metadata=user.metadata,
    )
    _, job = await regenerate(lib, user, document_id=document.id)
    await until_completed_again(lib, user, job)

    assert (await get_document(lib, user, document.id)).title == "My name for it"


@pytest.mark.asyncio
async def test_transcript_speakers_carry_the_names_the_summary_suggests(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await completed(lib, user, speech_wav, summary=meeting_summary())
    key = f"transcripts/{user.id}/{document.id}/transcript.json"
    stored = serialize_transcript(two_speaker_transcript())
    await asyncio.to_thread(lib.store.put_bytes, key, stored, "application/json")

    transcript = (
        await lib.library.GetTranscript(
            library_pb2.GetTranscriptRequest(document_id=document.id), metadata=user.metadata
        )
    ).transcript

    assert [(s.id, s.display_name, s.suggested_name) for s in transcript.speakers] == [
        ("S1", "Speaker 1", "Maria"),
        ("S2", "Speaker 2", "Daniel"),
    ]


# --- Emails per version ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_uploads_email_and_regenerates_email_only_when_asked(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await completed(lib, user, speech_wav)
    assert (await job_of(lib, document.id)).notify is True

    _, quiet = await regenerate(lib, user, document_id=document.id)
    assert quiet.notify is False
    await until_completed_again(lib, user, quiet)

    _, asked = await regenerate(lib, user, document_id=document.id, notify=True)
    assert asked.notify is True


# --- Summary templates -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_templates_are_created_read_changed_and_deleted(lib: LibraryHarness) -> None:
    user = lib.user()
    created = await create_template(lib, user, "  Lecture   notes ", "List the homework.\n")
    assert (created.name, created.instructions) == ("Lecture notes", "List the homework.")
    assert created.id
    assert created.create_time.seconds

    got = await lib.library.GetSummaryTemplate(
        library_pb2.GetSummaryTemplateRequest(summary_template_id=created.id),
        metadata=user.metadata,
    )
    assert got.summary_template == created

    updated = (
        await lib.library.UpdateSummaryTemplate(
            library_pb2.UpdateSummaryTemplateRequest(
                summary_template=library_pb2.SummaryTemplate(
                    id=created.id, name="ignored", instructions="List the exam dates."
                ),
                update_mask=FieldMask(paths=["instructions"]),
            ),
            metadata=user.metadata,
        )
    ).summary_template
    assert (updated.name, updated.instructions) == ("Lecture notes", "List the exam dates.")

    await lib.library.DeleteSummaryTemplate(
        library_pb2.DeleteSummaryTemplateRequest(summary_template_id=created.id),
        metadata=user.metadata,
    )
    error = await call_fails(
        lib.library.GetSummaryTemplate(
            library_pb2.GetSummaryTemplateRequest(summary_template_id=created.id),
            metadata=user.metadata,
        ),
        Code.NOT_FOUND,
    )
    assert "does not exist" in (error.details() or "")


@pytest.mark.asyncio
async def test_templates_are_listed_by_name_in_pages(lib: LibraryHarness) -> None:
    user, other = lib.user(), lib.user()
    for name in ("Sales call", "1:1", "Lecture notes", "Board"):
        await create_template(lib, user, name)
    await create_template(lib, other, "Another's")

    names: list[str] = []
    token = ""
    while True:
        page = await lib.library.ListSummaryTemplates(
            library_pb2.ListSummaryTemplatesRequest(page_size=3, page_token=token),
            metadata=user.metadata,
        )
        names += [t.name for t in page.summary_templates]
        token = page.next_page_token
        if not token:
            break
    assert names == ["1:1", "Board", "Lecture notes", "Sales call"]
    error = await call_fails(
        lib.library.ListSummaryTemplates(
            library_pb2.ListSummaryTemplatesRequest(page_token="bogus"), metadata=user.metadata
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "INVALID_PAGE_TOKEN"


@pytest.mark.asyncio
async def test_template_names_are_unique_per_user(lib: LibraryHarness) -> None:
    user, other = lib.user(), lib.user()
    first = await create_template(lib, user, "Sales call")
    second = await create_template(lib, user, "1:1")
    await create_template(lib, other, "Sales call")  # someone else may use the same name

    await call_fails(create_template(lib, user, "Sales call"), Code.ALREADY_EXISTS)
    error = await call_fails(
        lib.library.UpdateSummaryTemplate(
            library_pb2.UpdateSummaryTemplateRequest(
                summary_template=library_pb2.SummaryTemplate(id=second.id, name=first.name),
                update_mask=FieldMask(paths=["name"]),
            ),
            metadata=user.metadata,
        ),
        Code.ALREADY_EXISTS,
    )
    assert error_info(error).reason == "TEMPLATE_NAME_TAKEN"


@pytest.mark.parametrize(
    ("name", "instructions", "reason"),
    [
        ("", "Something.", "TEMPLATE_NAME_REQUIRED"),
        ("x" * 101, "Something.", "TEMPLATE_NAME_TOO_LONG"),
        ("Notes", "  \n ", "TEMPLATE_INSTRUCTIONS_REQUIRED"),
        ("Notes", "y" * 4001, "TEMPLATE_INSTRUCTIONS_TOO_LONG"),
    ],
)
@pytest.mark.asyncio
async def test_template_names_and_instructions_are_bounded(
    lib: LibraryHarness, name: str, instructions: str, reason: str
) -> None:
    error = await call_fails(
        create_template(lib, lib.user(), name, instructions), Code.INVALID_ARGUMENT
    )
    assert error_info(error).reason == reason


@pytest.mark.asyncio
async def test_template_instructions_travel_with_the_upload_and_the_regenerate(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    lecture = await create_template(lib, user, "Lecture notes", "List the homework.")
    sales = await create_template(lib, user, "Sales call", "Name the next steps per client.")

    document = await completed(lib, user, speech_wav, summary_template_id=lecture.id)
    assert document.summary_template_id == lecture.id
    assert (await job_of(lib, document.id)).summary_instructions == "List the homework."

    regenerated, job = await regenerate(
        lib, user, document_id=document.id, summary_template_id=sales.id
    )
    assert regenerated.summary_template_id == sales.id
    assert job.summary_instructions == "Name the next steps per client."
    await until_completed_again(lib, user, job)

    # A deleted template leaves its documents summarized (and resummarized) as before.
    await lib.library.DeleteSummaryTemplate(
        library_pb2.DeleteSummaryTemplateRequest(summary_template_id=sales.id),
        metadata=user.metadata,
    )
    kept, job = await regenerate(lib, user, document_id=document.id)
    assert kept.summary_template_id == sales.id
    assert job.summary_instructions == "Name the next steps per client."


@pytest.mark.asyncio
async def test_another_users_template_cannot_be_chosen(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner, intruder = lib.user(), lib.user()
    template = await create_template(lib, owner, "Board")

    error = await call_fails(
        upload(lib, intruder, speech_wav, summary_template_id=template.id), Code.NOT_FOUND
    )
    assert "does not exist" in (error.details() or "")
    document = await completed(lib, intruder, speech_wav)
    await call_fails(
        lib.library.RegenerateDocument(
            library_pb2.RegenerateDocumentRequest(
                document_id=document.id, summary_template_id=template.id
            ),
            metadata=intruder.metadata,
        ),
        Code.NOT_FOUND,
    )


@pytest.mark.asyncio
async def test_deleting_an_account_deletes_its_templates(lib: LibraryHarness) -> None:
    user, other = lib.user(), lib.user()
    await create_template(lib, user, "Board")
    await create_template(lib, other, "Board")
    await lib.bus.publish(
        "speechflow.auth.v1.user.deleted",
        events_pb2.UserDeleted(user_id=user.id),
        event_id=f"deleted-{user.id}",
    )

    async def templates_of(user_id: str) -> int:
        async with lib.app.parts["db"].session() as session:
            count = await session.scalar(
                select(func.count()).where(SummaryTemplateRow.owner_id == user_id)
            )
        return int(count or 0)

    for _ in range(200):
        if await templates_of(user.id) == 0:
            break
        await asyncio.sleep(0.05)
    assert (await templates_of(user.id), await templates_of(other.id)) == (0, 1)
