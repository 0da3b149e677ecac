"""Documents: listing with filters and pages, get, update, delete, downloads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import grpc
import grpc.aio
import httpx
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from nats.js.api import DeliverPolicy

from services.kernel.jetstream import ReceivedEvent
from services.kernel.storage import document_prefixes
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import commands_so_far, complete_pipeline, job_of, upload

Code = grpc.StatusCode
FAKE_PDF = b"%PDF-1.4\n% a stand-in for the renderer's output\n%%EOF\n"


async def get_document(lib: LibraryHarness, user: User, document_id: str) -> library_pb2.Document:
    response = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
    )
    return response.document


async def wait_for(
    lib: LibraryHarness,
    user: User,
    document_id: str,
    done: Callable[[library_pb2.Document], bool],
) -> library_pb2.Document:
    """Polls until the pipeline's events have been applied (bounded, never timed)."""
    for _ in range(100):
        document = await get_document(lib, user, document_id)
        if done(document):
            return document
        await asyncio.sleep(0.1)
    raise AssertionError(f"document never reached the expected state: {document}")


async def completed(
    lib: LibraryHarness, user: User, document: library_pb2.Document
) -> library_pb2.Document:
    job = await job_of(lib, document.id)
    await complete_pipeline(lib.bus, job, tag=f"done-{document.id}")
    return await wait_for(
        lib,
        user,
        document.id,
        lambda d: d.status == library_pb2.DOCUMENT_STATUS_COMPLETED and d.has_pdf,
    )


async def list_documents(
    lib: LibraryHarness, user: User, **fields: object
) -> library_pb2.ListDocumentsResponse:
    request = library_pb2.ListDocumentsRequest(**fields)  # type: ignore[arg-type]
    return await lib.library.ListDocuments(request, metadata=user.metadata)


async def download(
    lib: LibraryHarness, user: User, document_id: str, kind: library_pb2.FileKind.ValueType
) -> list[library_pb2.DownloadDocumentResponse]:
    call = lib.library.DownloadDocument(
        library_pb2.DownloadDocumentRequest(document_id=document_id, kind=kind),
        metadata=user.metadata,
    )
    return [message async for message in call]


@pytest.mark.asyncio
async def test_list_documents_pages_newest_first_without_duplicates(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user, other = lib.user(), lib.user()
    uploaded = [await upload(lib, user, speech_wav, title=f"Talk {n}") for n in range(7)]
    await upload(lib, other, speech_wav, title="Someone else's")
    pages: list[library_pb2.ListDocumentsResponse] = []
    token = ""
    while True:
        page = await list_documents(lib, user, page_size=3, page_token=token)
        pages.append(page)
        token = page.next_page_token
        if not token:
            break
    assert [len(p.documents) for p in pages] == [3, 3, 1]
    assert {p.total_size for p in pages} == {7}
    listed = [d.id for p in pages for d in p.documents]
    assert listed == [d.id for d in reversed(uploaded)]  # newest first, each once


@pytest.mark.asyncio
async def test_list_documents_rejects_bad_paging(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    for _ in range(3):
        await upload(lib, user, speech_wav)
    first = await list_documents(lib, user, page_size=2)
    invalid = await call_fails(
        list_documents(lib, user, page_token="garbage!"), Code.INVALID_ARGUMENT
    )
    assert error_info(invalid).reason == "INVALID_PAGE_TOKEN"
    mismatch = await call_fails(
        list_documents(
            lib,
            user,
            page_token=first.next_page_token,
            status=library_pb2.DOCUMENT_STATUS_PROCESSING,
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(mismatch).reason == "PAGE_TOKEN_MISMATCH"
    negative = await call_fails(list_documents(lib, user, page_size=-1), Code.INVALID_ARGUMENT)
    assert error_info(negative).reason == "INVALID_PAGE_SIZE"
    # The same filters keep working with the token.
    second = await list_documents(lib, user, page_size=2, page_token=first.next_page_token)
    assert len(second.documents) == 1


@pytest.mark.asyncio
async def test_list_documents_filters_by_folder_status_and_time(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    folder = (
        await lib.library.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="Calls")),
            metadata=user.metadata,
        )
    ).folder
    first = await upload(lib, user, speech_wav, title="First")
    filed = await upload(lib, user, speech_wav, title="Filed", folder_id=folder.id)
    last = await upload(lib, user, speech_wav, title="Last")

    in_folder = await list_documents(lib, user, folder_id=folder.id)
    assert [d.id for d in in_folder.documents] == [filed.id]
    assert in_folder.total_size == 1
    await call_fails(list_documents(lib, user, folder_id="no-such-folder"), Code.NOT_FOUND)

    after = await list_documents(lib, user, create_time_after=filed.create_time)
    assert [d.id for d in after.documents] == [last.id, filed.id]
    before = await list_documents(lib, user, create_time_before=filed.create_time)
    assert [d.id for d in before.documents] == [first.id]
    between = await list_documents(
        lib,
        user,
        create_time_after=first.create_time,
        create_time_before=last.create_time,
    )
    assert [d.id for d in between.documents] == [filed.id, first.id]
    await call_fails(
        list_documents(
            lib,
            user,
            create_time_after=last.create_time,
            create_time_before=first.create_time,
        ),
        Code.INVALID_ARGUMENT,
    )

    await completed(lib, user, first)
    done = await list_documents(lib, user, status=library_pb2.DOCUMENT_STATUS_COMPLETED)
    assert [d.id for d in done.documents] == [first.id]
    processing = await list_documents(lib, user, status=library_pb2.DOCUMENT_STATUS_PROCESSING)
    assert [d.id for d in processing.documents] == [last.id, filed.id]
    await call_fails(list_documents(lib, user, status=99), Code.INVALID_ARGUMENT)


@pytest.mark.asyncio
async def test_text_query_searches_title_transcript_and_summary(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    budget = await upload(lib, user, speech_wav, title="Quarterly budget review")
    other = await upload(lib, user, speech_wav, title="Team offsite 100% fun")

    async def found(query: str) -> list[str]:
        return [d.id for d in (await list_documents(lib, user, query=query)).documents]

    assert await found("BUDGET") == [budget.id]  # case-insensitive
    assert await found("quarterly review") == [budget.id]  # every word must match
    assert await found("quarterly offsite") == []
    assert await found("100%") == [other.id]  # LIKE wildcards are literal
    assert await found("engineers") == []
    await completed(lib, user, other)
    assert await found("engineers") == [other.id]  # from the transcript
    assert await found("decided") == [other.id]  # from the summary


@pytest.mark.asyncio
async def test_update_document_changes_title_and_folder(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    folder = (
        await lib.library.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="Archive")),
            metadata=user.metadata,
        )
    ).folder
    document = await upload(lib, user, speech_wav, title="Old title")

    async def update(
        paths: list[str], title: str = "", folder_id: str = ""
    ) -> library_pb2.Document:
        response = await lib.library.UpdateDocument(
            library_pb2.UpdateDocumentRequest(
                document=library_pb2.Document(id=document.id, title=title, folder_id=folder_id),
                update_mask=FieldMask(paths=paths),
            ),
            metadata=user.metadata,
        )
        return response.document

    # Only the masked field changes.
    renamed = await update(["title"], title="New title", folder_id=folder.id)
    assert (renamed.title, renamed.folder_id) == ("New title", "")
    moved = await update(["folder_id"], folder_id=folder.id, title="ignored")
    assert (moved.title, moved.folder_id) == ("New title", folder.id)
    assert (await get_document(lib, user, document.id)).folder_id == folder.id
    unfiled = await update(["folder_id"])
    assert unfiled.folder_id == ""

    unknown = await call_fails(update(["folder_id"], folder_id="missing"), Code.NOT_FOUND)
    assert error_info(unknown).reason == "FOLDER_NOT_FOUND"
    bad_path = await call_fails(update(["status"]), Code.INVALID_ARGUMENT)
    assert error_info(bad_path).reason == "INVALID_UPDATE_MASK"
    empty = await call_fails(update([], title="x"), Code.INVALID_ARGUMENT)
    assert error_info(empty).reason == "EMPTY_UPDATE_MASK"
    await call_fails(update(["title"], title="  "), Code.INVALID_ARGUMENT)
    assert (await get_document(lib, user, document.id)).title == "New title"


@pytest.mark.asyncio
async def test_get_document_of_unknown_id_is_not_found(lib: LibraryHarness) -> None:
    user = lib.user()
    error = await call_fails(get_document(lib, user, "no-such-document"), Code.NOT_FOUND)
    assert error_info(error).reason == "DOCUMENT_NOT_FOUND"
    await call_fails(get_document(lib, user, ""), Code.INVALID_ARGUMENT)


@pytest.mark.asyncio
async def test_delete_document_removes_the_row_and_every_stored_object(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await completed(lib, user, await upload(lib, user, speech_wav))
    keep = await upload(lib, user, speech_wav)
    pdf_prefix = f"pdfs/{user.id}/{document.id}/"
    lib.store.put_bytes(f"{pdf_prefix}document.pdf", FAKE_PDF, "application/pdf")
    lib.store.put_bytes(f"{pdf_prefix}thumbnail.png", b"png", "image/png")
    lib.store.put_bytes(f"transcripts/{user.id}/{document.id}/transcript.json", b"{}", "x/y")
    lib.store.put_bytes(f"temp/{document.id}/audio.wav", b"tmp", "audio/wav")
    prefixes = document_prefixes(user.id, document.id)

    def stored() -> list[str]:
        return [o.key for prefix in prefixes for o in lib.store.list(prefix)]

    assert len(stored()) == 5
    deletions = await lib.bus.js.subscribe(
        "speechflow.library.v1.document.deleted",
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
    )
    try:
        await lib.library.DeleteDocument(
            library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=user.metadata
        )
        # Stages learn of it (and drop late work for it) from this event.
        deleted = events_pb2.DocumentDeleted.FromString((await deletions.next_msg(10)).data)
    finally:
        await deletions.unsubscribe()
    assert (deleted.document_id, deleted.owner_id) == (document.id, user.id)
    assert stored() == []
    await call_fails(get_document(lib, user, document.id), Code.NOT_FOUND)
    await call_fails(
        lib.library.DeleteDocument(
            library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=user.metadata
        ),
        Code.NOT_FOUND,
    )
    # Other documents are untouched.
    assert (await get_document(lib, user, keep.id)).id == keep.id
    assert lib.stored_keys(user) == [f"uploads/audio/{user.id}/{keep.id}/original.wav"]


@pytest.mark.asyncio
async def test_a_late_transcription_of_a_deleted_document_is_swept_and_goes_no_further(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    # Bug (b): the transcriber finishing after the delete recreated the document's files
    # and the rest of the pipeline ran on them.
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    job = await job_of(lib, document.id)
    await lib.library.DeleteDocument(
        library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=user.metadata
    )
    transcript = f"transcripts/{user.id}/{document.id}/transcript.json"
    lib.store.put_bytes(transcript, b"{}", "application/json")  # what the late stage wrote
    late = events_pb2.TranscriptionCompleted(job=job, transcript_key=transcript, text="late")
    await lib.app.parts["pipeline"].handle(
        ReceivedEvent(
            subject="speechflow.transcriber.v1.transcription.completed",
            data=late.SerializeToString(),
            headers={},
            attempt=1,
            event_id=f"late-{document.id}",
        )
    )
    assert [o.key for p in document_prefixes(user.id, document.id) for o in lib.store.list(p)] == []
    await call_fails(get_document(lib, user, document.id), Code.NOT_FOUND)
    # Nothing commanded a summary: the only command of the document is its upload's.
    assert set(await commands_so_far(lib, document.id)) == {
        "speechflow.library.v1.transcription.requested"
    }


@pytest.mark.asyncio
async def test_download_original_streams_back_the_uploaded_bytes(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav, file_name="standup.wav")
    messages = await download(lib, user, document.id, library_pb2.FILE_KIND_ORIGINAL)
    expected = await asyncio.to_thread(speech_wav.read_bytes)
    assert b"".join(m.data for m in messages) == expected
    head = messages[0]
    assert head.content_type == "audio/wav"
    assert head.file_name == "standup.wav"
    assert head.size_bytes == len(expected)


@pytest.mark.asyncio
async def test_pdf_downloads_only_once_rendered(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav, title="Weekly sync")
    for kind in (library_pb2.FILE_KIND_PDF, library_pb2.FILE_KIND_THUMBNAIL):
        error = await call_fails(download(lib, user, document.id, kind), Code.FAILED_PRECONDITION)
        assert error_info(error).reason in {"PDF_NOT_READY", "THUMBNAIL_NOT_READY"}
    await call_fails(
        lib.library.GetDownloadUrl(
            library_pb2.GetDownloadUrlRequest(
                document_id=document.id, kind=library_pb2.FILE_KIND_PDF
            ),
            metadata=user.metadata,
        ),
        Code.FAILED_PRECONDITION,
    )
    await call_fails(
        download(lib, user, document.id, library_pb2.FILE_KIND_UNSPECIFIED),
        Code.INVALID_ARGUMENT,
    )

    await completed(lib, user, document)
    # Rendered, but the object is not there (yet): a clear NOT_FOUND, not a crash.
    await call_fails(download(lib, user, document.id, library_pb2.FILE_KIND_PDF), Code.NOT_FOUND)
    lib.store.put_bytes(f"pdfs/{user.id}/{document.id}/document.pdf", FAKE_PDF, "application/pdf")
    messages = await download(lib, user, document.id, library_pb2.FILE_KIND_PDF)
    assert b"".join(m.data for m in messages) == FAKE_PDF
    assert messages[0].content_type == "application/pdf"
    assert messages[0].file_name == "Weekly sync.pdf"
    assert messages[0].size_bytes == len(FAKE_PDF)


@pytest.mark.asyncio
async def test_download_url_serves_the_file(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav)
    response = await lib.library.GetDownloadUrl(
        library_pb2.GetDownloadUrlRequest(
            document_id=document.id, kind=library_pb2.FILE_KIND_ORIGINAL
        ),
        metadata=user.metadata,
    )
    expires_in = response.expire_time.ToDatetime() - document.create_time.ToDatetime()
    assert timedelta(minutes=55) < expires_in <= timedelta(hours=1, minutes=5)
    expected = await asyncio.to_thread(speech_wav.read_bytes)
    if lib.backend.endswith("s3"):
        async with httpx.AsyncClient() as client:
            fetched = await client.get(response.url)
        assert fetched.status_code == 200
        assert fetched.content == expected
        return
    assert "/api/v1/files?token=" in response.url
    token = parse_qs(urlparse(response.url).query)["token"][0]
    # DownloadFile needs no access token: the signed token is the credential.
    call = lib.library.DownloadFile(library_pb2.DownloadFileRequest(token=token))
    bodies = [body async for body in call]
    assert b"".join(b.data for b in bodies) == expected
    assert bodies[0].content_type == "audio/wav"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "", "not-a-token"):
        error = await call_fails(
            drain(lib.library.DownloadFile(library_pb2.DownloadFileRequest(token=bad))),
            Code.UNAUTHENTICATED,
        )
        assert error_info(error).reason == "DOWNLOAD_LINK_INVALID"


async def drain(call: grpc.aio.UnaryStreamCall) -> list[object]:  # type: ignore[type-arg]
    return [message async for message in call]
