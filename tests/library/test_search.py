"""SearchDocuments: ranked full-text search over titles, summaries and transcripts, on SQLite
FTS5 and PostgreSQL tsvector alike (the `lib` fixture runs each test on both)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import delete, func, select

from services.kernel.catalogue import SUMMARY_COMPLETED, TRANSCRIPTION_COMPLETED, USER_DELETED
from services.kernel.db import Database
from services.kernel.transcripts import duration, seconds, serialize_transcript
from services.library.events import job_context
from services.library.search_index import index_unindexed
from services.library.search_text import Clause, index_terms, parse_query, snippet
from services.library.store import DocumentRow, JobRow, SearchEntryRow
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import upload

Code = grpc.StatusCode
Segments = list[tuple[float, str]]


def database(lib: LibraryHarness) -> Database:
    db = lib.app.parts["db"]
    assert isinstance(db, Database)
    return db


async def current_job(lib: LibraryHarness, document_id: str) -> events_pb2.JobContext:
    async with database(lib).session() as session:
        document = await session.get(DocumentRow, document_id)
        job = (
            await session.scalars(
                select(JobRow)
                .where(JobRow.document_id == document_id)
                .order_by(JobRow.version.desc())
            )
        ).first()
    assert document is not None
    assert job is not None
    return job_context(document, job)


async def transcribed(
    lib: LibraryHarness,
    user: User,
    speech_wav: Path,
    *,
    title: str,
    segments: Segments,
    folder_id: str = "",
) -> library_pb2.Document:
    """A document whose transcription finished with these (start second, text) segments."""
    document = await upload(lib, user, speech_wav, title=title, folder_id=folder_id)
    job = await current_job(lib, document.id)
    transcript = library_pb2.Transcript(
        segments=[
            library_pb2.TranscriptSegment(
                start_offset=duration(start),
                end_offset=duration(start + 2),
                text=text,
                speaker_id="S1",
            )
            for start, text in segments
        ],
        speakers=[library_pb2.Speaker(id="S1", display_name="Speaker 1")],
        language="en",
        revision=1,
    )
    key = f"transcripts/{job.owner_id}/{job.document_id}/transcript.json"
    await asyncio.to_thread(
        lib.store.put_bytes, key, serialize_transcript(transcript), "application/json"
    )
    await lib.bus.publish(
        TRANSCRIPTION_COMPLETED,
        events_pb2.TranscriptionCompleted(
            job=job, transcript_key=key, text=" ".join(t for _, t in segments), model="tiny.en"
        ),
        event_id=f"{document.id}-transcribed",
    )
    return await until(lib, user, document.id, lambda d: bool(d.transcript_text))


async def summarized(
    lib: LibraryHarness, user: User, document: library_pb2.Document, summary: events_pb2.Summary
) -> library_pb2.Document:
    job = await current_job(lib, document.id)
    await lib.bus.publish(
        SUMMARY_COMPLETED,
        events_pb2.SummaryCompleted(job=job, summary=summary),
        event_id=f"{document.id}-summarized",
    )
    return await until(lib, user, document.id, lambda d: bool(d.summary_text))


async def until(
    lib: LibraryHarness, user: User, document_id: str, done: object
) -> library_pb2.Document:
    assert callable(done)
    for _ in range(200):
        current = await lib.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
        )
        if done(current.document):
            return current.document
        await asyncio.sleep(0.05)
    raise AssertionError("the library never applied the event")


async def search(
    lib: LibraryHarness, user: User, query: str, **fields: object
) -> library_pb2.SearchDocumentsResponse:
    return await lib.library.SearchDocuments(
        library_pb2.SearchDocumentsRequest(query=query, **fields),  # type: ignore[arg-type]
        metadata=user.metadata,
    )


def titles(response: library_pb2.SearchDocumentsResponse) -> list[str]:
    return [r.document.title for r in response.results]


def highlighted(snippet: library_pb2.SearchSnippet) -> list[str]:
    return [snippet.text[h.start : h.end] for h in snippet.highlights]


async def test_a_title_match_ranks_above_a_transcript_only_match(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await transcribed(
        lib,
        user,
        speech_wav,
        title="Team sync",
        segments=[(0.0, "Welcome everyone."), (65.5, "The budget for next year is tight.")],
    )
    await transcribed(
        lib, user, speech_wav, title="Quarterly budget review", segments=[(0.0, "Hello.")]
    )

    found = await search(lib, user, "budget")

    assert titles(found) == ["Quarterly budget review", "Team sync"]
    assert found.results[0].score > found.results[1].score
    title_snippet = found.results[0].snippets[0]
    assert not title_snippet.HasField("start_offset")
    assert highlighted(title_snippet) == ["budget"]


async def test_a_transcript_snippet_says_when_it_was_said_and_where_the_words_are(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await transcribed(
        lib,
        user,
        speech_wav,
        title="Planning",
        segments=[(3.0, "Good morning."), (65.5, "🎉 The Budget for next year, the budget!")],
    )

    found = await search(lib, user, "budget")

    [result] = found.results
    [said] = result.snippets
    assert said.text == "🎉 The Budget for next year, the budget!"
    assert seconds(said.start_offset) == 65.5
    # Code points: the emoji before the match counts as one character.
    assert [(h.start, h.end) for h in said.highlights] == [(6, 12), (32, 38)]
    assert highlighted(said) == ["Budget", "budget"]


async def test_every_word_must_be_found_somewhere_in_the_document(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await transcribed(
        lib,
        user,
        speech_wav,
        title="Hiring",
        segments=[(0.0, "We hire two engineers."), (10.0, "The budget allows it.")],
    )
    await transcribed(lib, user, speech_wav, title="Other", segments=[(0.0, "No budget.")])

    both = await search(lib, user, "engineers budget")

    assert titles(both) == ["Hiring"]
    assert sorted(s.text for s in both.results[0].snippets) == [
        "The budget allows it.",
        "We hire two engineers.",
    ]


async def test_a_quoted_phrase_matches_only_words_in_that_order(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await transcribed(lib, user, speech_wav, title="Plans", segments=[(4.0, "Next year we grow.")])

    in_order = await search(lib, user, '"next year"')
    reversed_order = await search(lib, user, '"year next"')

    assert titles(in_order) == ["Plans"]
    assert highlighted(in_order.results[0].snippets[0]) == ["Next year"]
    assert titles(reversed_order) == []


async def test_the_last_word_also_matches_as_the_start_of_a_longer_word(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await transcribed(
        lib, user, speech_wav, title="Standup", segments=[(0.0, "Engineering is hiring.")]
    )

    typing = await search(lib, user, "hiring engin")
    earlier_word = await search(lib, user, "engin hiring")

    assert titles(typing) == ["Standup"]
    assert highlighted(typing.results[0].snippets[0]) == ["Engineering", "hiring"]
    assert titles(earlier_word) == []


async def test_case_and_accents_do_not_matter(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    await transcribed(lib, user, speech_wav, title="Réunion d'équipe", segments=[(0.0, "Ça va.")])

    found = await search(lib, user, "REUNION equipe")

    assert titles(found) == ["Réunion d'équipe"]
    assert highlighted(found.results[0].snippets[0]) == ["Réunion", "équipe"]


@pytest.mark.parametrize(
    "query",
    [
        "budget*",
        "-budget",
        "title:budget",
        "NEAR(budget year)",
        "budget OR NOT year",
        '"budget',
        "budget's \"year",
        "'; DROP TABLE documents; --",
        "^budget + (year)",
    ],
)
async def test_search_syntax_in_the_query_is_taken_as_words(
    lib: LibraryHarness, speech_wav: Path, query: str
) -> None:
    user = lib.user()
    await transcribed(
        lib, user, speech_wav, title="Budget", segments=[(0.0, "The budget for next year.")]
    )

    found = await search(lib, user, query)

    assert all(r.document.title == "Budget" for r in found.results)
    if query in ("budget*", "-budget", '"budget'):
        assert titles(found) == ["Budget"]


async def test_a_segment_with_a_letter_run_too_long_for_the_index_is_still_applied(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await transcribed(
        lib, user, speech_wav, title="Noise", segments=[(2.0, "Static " + "z" * 3000)]
    )

    assert titles(await search(lib, user, "static")) == ["Noise"]


@pytest.mark.parametrize("query", ["", "   ", '"', "* - :", '""', "x" * 201])
async def test_a_query_with_nothing_to_find_is_invalid(lib: LibraryHarness, query: str) -> None:
    user = lib.user()

    error = await call_fails(search(lib, user, query), Code.INVALID_ARGUMENT)

    assert "search" in (error.details() or "").lower() or "type" in (error.details() or "").lower()


async def test_results_come_in_pages_with_an_opaque_token(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    for number in range(3):
        await transcribed(
            lib, user, speech_wav, title=f"Budget {number}", segments=[(0.0, "Budget talk.")]
        )

    first = await search(lib, user, "budget", page_size=2)
    second = await search(lib, user, "budget", page_size=2, page_token=first.next_page_token)

    assert len(first.results) == 2
    assert first.next_page_token
    assert len(second.results) == 1
    assert not second.next_page_token
    assert sorted(titles(first) + titles(second)) == ["Budget 0", "Budget 1", "Budget 2"]
    for token in ("garbage", "eyJvIjogLTEsICJxIjogIngifQ", first.next_page_token + "x"):
        await call_fails(search(lib, user, "budget", page_token=token), Code.INVALID_ARGUMENT)
    other_query = await call_fails(
        search(lib, user, "talk", page_token=first.next_page_token), Code.INVALID_ARGUMENT
    )
    assert "different search" in (other_query.details() or "")


async def test_another_users_documents_never_appear(lib: LibraryHarness, speech_wav: Path) -> None:
    owner, intruder = lib.user(), lib.user()
    folder = (
        await lib.library.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="Board")),
            metadata=owner.metadata,
        )
    ).folder
    await transcribed(
        lib,
        owner,
        speech_wav,
        title="Secret budget",
        segments=[(0.0, "Budget.")],
        folder_id=folder.id,
    )

    assert titles(await search(lib, intruder, "budget")) == []
    error = await call_fails(search(lib, intruder, "budget", folder_id=folder.id), Code.NOT_FOUND)
    assert "does not exist" in (error.details() or "")


async def test_a_folder_limits_the_search_to_its_documents(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    folder = (
        await lib.library.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="Finance")),
            metadata=user.metadata,
        )
    ).folder
    await transcribed(
        lib, user, speech_wav, title="In", segments=[(0.0, "Budget.")], folder_id=folder.id
    )
    await transcribed(lib, user, speech_wav, title="Out", segments=[(0.0, "Budget.")])

    assert titles(await search(lib, user, "budget", folder_id=folder.id)) == ["In"]
    assert sorted(titles(await search(lib, user, "budget"))) == ["In", "Out"]


async def test_summaries_are_searched_between_titles_and_transcripts(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    spoken = await transcribed(
        lib, user, speech_wav, title="Spoken", segments=[(1.0, "The roadmap slipped.")]
    )
    summary_only = await transcribed(
        lib, user, speech_wav, title="Summed up", segments=[(1.0, "Hello.")]
    )
    paragraph = "We met for an hour. The roadmap moved to March! Everyone agreed."
    await summarized(
        lib, user, summary_only, events_pb2.Summary(summary=paragraph, key_points=["Ship"])
    )
    await summarized(lib, user, spoken, events_pb2.Summary(summary="A short call."))

    found = await search(lib, user, "roadmap")

    assert titles(found) == ["Summed up", "Spoken"]
    [from_summary] = found.results[0].snippets
    assert not from_summary.HasField("start_offset")
    assert from_summary.text == "The roadmap moved to March!"
    assert highlighted(from_summary) == ["roadmap"]
    assert titles(await search(lib, user, "ship")) == ["Summed up"]


async def test_a_renamed_document_is_found_by_its_new_title_only(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await transcribed(
        lib, user, speech_wav, title="Team sync", segments=[(0.0, "Hello.")]
    )

    await lib.library.UpdateDocument(
        library_pb2.UpdateDocumentRequest(
            document=library_pb2.Document(id=document.id, title="Budget planning"),
            update_mask=FieldMask(paths=["title"]),
        ),
        metadata=user.metadata,
    )

    assert titles(await search(lib, user, "planning")) == ["Budget planning"]
    assert titles(await search(lib, user, "sync")) == []


async def test_a_document_is_found_by_title_while_it_is_still_processing(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await upload(lib, user, speech_wav, title="Board meeting")

    found = await search(lib, user, "board")

    assert titles(found) == ["Board meeting"]
    assert found.results[0].document.status == library_pb2.DOCUMENT_STATUS_PROCESSING


async def indexed_passages(lib: LibraryHarness, document_ids: list[str]) -> int:
    async with database(lib).session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(SearchEntryRow)
            .where(SearchEntryRow.document_id.in_(document_ids))
        )
    return int(count or 0)


async def test_deleted_documents_leave_the_index(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await transcribed(
        lib, user, speech_wav, title="Quarterly", segments=[(0.0, "Budget.")]
    )
    assert await indexed_passages(lib, [document.id]) == 2

    await lib.library.DeleteDocument(
        library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=user.metadata
    )

    assert titles(await search(lib, user, "quarterly")) == []
    assert await indexed_passages(lib, [document.id]) == 0


async def test_a_deleted_accounts_documents_leave_the_index(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await transcribed(
        lib, user, speech_wav, title="Quarterly", segments=[(0.0, "Budget.")]
    )

    await lib.bus.publish(
        USER_DELETED,
        events_pb2.UserDeleted(user_id=user.id),
        event_id=f"{user.id}-deleted",
    )

    for _ in range(200):
        if await indexed_passages(lib, [document.id]) == 0:
            break
        await asyncio.sleep(0.05)
    assert await indexed_passages(lib, [document.id]) == 0


async def test_documents_stored_before_the_index_existed_are_indexed_at_start(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await transcribed(
        lib, user, speech_wav, title="Archive", segments=[(7.0, "The zeppelin landed.")]
    )
    async with database(lib).session() as session:
        await session.execute(
            delete(SearchEntryRow).where(SearchEntryRow.document_id == document.id)
        )
    assert titles(await search(lib, user, "zeppelin")) == []

    assert await index_unindexed(database(lib), lib.store) >= 1

    found = await search(lib, user, "zeppelin")
    assert titles(found) == ["Archive"]
    assert seconds(found.results[0].snippets[0].start_offset) == 7.0
    assert titles(await search(lib, user, "archive")) == ["Archive"]


# Rules of the query and the snippets, without a database.


def test_every_token_of_the_query_is_a_quoted_term() -> None:
    query = parse_query('NEAR(a, b) "next year" col:umn bud', 200)

    # Words joined by punctuation ("NEAR(a,", "col:umn") are found next to each other.
    assert query.clauses == (
        Clause(("near", "a")),
        Clause(("b",)),
        Clause(("next", "year")),
        Clause(("col", "umn")),
        Clause(("bud",), prefix=True),
    )


def test_runs_of_letters_too_long_to_be_words_are_not_indexed() -> None:
    assert index_terms("see " + "x" * 5000 + " here") == "see here"


def test_a_long_passage_is_trimmed_around_its_first_match_between_words() -> None:
    text = ("alpha " * 60) + "needle " + ("omega " * 60)

    found = snippet(text, [Clause(("needle",))])

    assert found.text.startswith("…alpha")
    assert found.text.endswith("omega…")
    assert len(found.text) <= 202
    [(start, end)] = found.highlights
    assert found.text[start:end] == "needle"
