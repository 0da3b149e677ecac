"""Access matrix: every RPC needs a token, and another user's resources do not exist."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.api import httpbody_pb2
from google.protobuf.field_mask_pb2 import FieldMask

from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails
from tests.library.conftest import LibraryHarness, User
from tests.library.helpers import upload, upload_messages

Code = grpc.StatusCode
Metadata = tuple[tuple[str, str], ...]
ANONYMOUS: list[tuple[str, Metadata]] = [
    ("no token", ()),
    ("garbage token", (("authorization", "Bearer not.a.jwt"),)),
]


@dataclass
class Resources:
    """What user A owns; every call below addresses these."""

    folder: library_pb2.Folder
    document: library_pb2.Document
    upload_id: str
    upload_size: int
    template: library_pb2.SummaryTemplate
    share_link: library_pb2.ShareLink


async def owned_by(lib: LibraryHarness, user: User, speech_wav: Path) -> Resources:
    folder = (
        await lib.library.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="Private")),
            metadata=user.metadata,
        )
    ).folder
    document = await upload(lib, user, speech_wav, folder_id=folder.id, title="Secret")
    size = (await asyncio.to_thread(speech_wav.stat)).st_size
    started = await lib.library.StartUpload(
        library_pb2.StartUploadRequest(
            metadata=library_pb2.UploadMetadata(file_name="next.wav", size_bytes=size)
        ),
        metadata=user.metadata,
    )
    template = (
        await lib.library.CreateSummaryTemplate(
            library_pb2.CreateSummaryTemplateRequest(
                summary_template=library_pb2.SummaryTemplate(
                    name="Board", instructions="List the votes."
                )
            ),
            metadata=user.metadata,
        )
    ).summary_template
    share_link = (
        await lib.library.CreateShareLink(
            library_pb2.CreateShareLinkRequest(document_id=document.id), metadata=user.metadata
        )
    ).share_link
    return Resources(folder, document, started.upload_id, size, template, share_link)


async def drain(call: Any) -> list[Any]:
    return [message async for message in call]


def upload_stream(folder_id: str, data: bytes) -> AsyncIterator[library_pb2.UploadDocumentRequest]:
    metadata = library_pb2.UploadMetadata(
        file_name="x.wav", size_bytes=len(data), folder_id=folder_id
    )
    return upload_messages(metadata, data)


async def raw_upload_stream(
    folder_id: str, data: bytes
) -> AsyncIterator[library_pb2.UploadDocumentContentRequest]:
    yield library_pb2.UploadDocumentContentRequest(
        file_name="x.wav",
        size_bytes=len(data),
        folder_id=folder_id,
        body=httpbody_pb2.HttpBody(content_type="audio/wav", data=data),
    )


def library_calls(
    lib: LibraryHarness, r: Resources, metadata: Metadata, data: bytes
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One call per LibraryService RPC, each aimed at A's resources."""
    s, doc_id, folder_id = lib.library, r.document.id, r.folder.id
    pdf, original = library_pb2.FILE_KIND_PDF, library_pb2.FILE_KIND_ORIGINAL
    return {
        "CreateFolder": lambda: s.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="New")),
            metadata=metadata,
        ),
        "GetFolder": lambda: s.GetFolder(
            library_pb2.GetFolderRequest(folder_id=folder_id), metadata=metadata
        ),
        "ListFolders": lambda: s.ListFolders(library_pb2.ListFoldersRequest(), metadata=metadata),
        "UpdateFolder": lambda: s.UpdateFolder(
            library_pb2.UpdateFolderRequest(
                folder=library_pb2.Folder(id=folder_id, name="Mine now"),
                update_mask=FieldMask(paths=["name"]),
            ),
            metadata=metadata,
        ),
        "DeleteFolder": lambda: s.DeleteFolder(
            library_pb2.DeleteFolderRequest(folder_id=folder_id), metadata=metadata
        ),
        "UploadDocument": lambda: s.UploadDocument(
            upload_stream(folder_id, data), metadata=metadata
        ),
        "UploadDocumentContent": lambda: s.UploadDocumentContent(
            raw_upload_stream(folder_id, data), metadata=metadata
        ),
        "StartUpload": lambda: s.StartUpload(
            library_pb2.StartUploadRequest(
                metadata=library_pb2.UploadMetadata(
                    file_name="x.wav", size_bytes=len(data), folder_id=folder_id
                )
            ),
            metadata=metadata,
        ),
        "UploadChunk": lambda: s.UploadChunk(
            library_pb2.UploadChunkRequest(upload_id=r.upload_id, offset=0, data=data[:1000]),
            metadata=metadata,
        ),
        "UploadChunkContent": lambda: s.UploadChunkContent(
            library_pb2.UploadChunkContentRequest(
                upload_id=r.upload_id, offset=0, body=httpbody_pb2.HttpBody(data=data[:1000])
            ),
            metadata=metadata,
        ),
        "GetUpload": lambda: s.GetUpload(
            library_pb2.GetUploadRequest(upload_id=r.upload_id), metadata=metadata
        ),
        "FinishUpload": lambda: s.FinishUpload(
            library_pb2.FinishUploadRequest(upload_id=r.upload_id), metadata=metadata
        ),
        "GetDocument": lambda: s.GetDocument(
            library_pb2.GetDocumentRequest(document_id=doc_id), metadata=metadata
        ),
        "ListDocuments": lambda: s.ListDocuments(
            library_pb2.ListDocumentsRequest(folder_id=folder_id), metadata=metadata
        ),
        "UpdateDocument": lambda: s.UpdateDocument(
            library_pb2.UpdateDocumentRequest(
                document=library_pb2.Document(id=doc_id, title="Mine now"),
                update_mask=FieldMask(paths=["title"]),
            ),
            metadata=metadata,
        ),
        "DeleteDocument": lambda: s.DeleteDocument(
            library_pb2.DeleteDocumentRequest(document_id=doc_id), metadata=metadata
        ),
        "DownloadDocument": lambda: drain(
            s.DownloadDocument(
                library_pb2.DownloadDocumentRequest(document_id=doc_id, kind=original),
                metadata=metadata,
            )
        ),
        "GetDocumentContent": lambda: drain(
            s.GetDocumentContent(
                library_pb2.GetDocumentContentRequest(document_id=doc_id, kind=original),
                metadata=metadata,
            )
        ),
        "GetDownloadUrl": lambda: s.GetDownloadUrl(
            library_pb2.GetDownloadUrlRequest(document_id=doc_id, kind=pdf), metadata=metadata
        ),
        # Public: the signed download token is the credential, and here there is none.
        "DownloadFile": lambda: drain(
            s.DownloadFile(library_pb2.DownloadFileRequest(), metadata=metadata)
        ),
        "WatchDocument": lambda: drain(
            s.WatchDocument(library_pb2.WatchDocumentRequest(document_id=doc_id), metadata=metadata)
        ),
        "RegenerateDocument": lambda: s.RegenerateDocument(
            library_pb2.RegenerateDocumentRequest(
                document_id=doc_id, language="en", summary_length=library_pb2.SUMMARY_LENGTH_SHORT
            ),
            metadata=metadata,
        ),
        "GetTranscript": lambda: s.GetTranscript(
            library_pb2.GetTranscriptRequest(document_id=doc_id), metadata=metadata
        ),
        "UpdateTranscript": lambda: s.UpdateTranscript(
            library_pb2.UpdateTranscriptRequest(
                document_id=doc_id, speakers=[library_pb2.Speaker(id="S1", display_name="Me")]
            ),
            metadata=metadata,
        ),
        "ExportDocument": lambda: drain(
            s.ExportDocument(
                library_pb2.ExportDocumentRequest(
                    document_id=doc_id, format=library_pb2.EXPORT_FORMAT_TXT
                ),
                metadata=metadata,
            )
        ),
        "ExportDocumentContent": lambda: drain(
            s.ExportDocumentContent(
                library_pb2.ExportDocumentContentRequest(document_id=doc_id, format="txt"),
                metadata=metadata,
            )
        ),
        "SearchDocuments": lambda: s.SearchDocuments(
            library_pb2.SearchDocumentsRequest(query="Secret", folder_id=folder_id),
            metadata=metadata,
        ),
        "GetPreferences": lambda: s.GetPreferences(
            library_pb2.GetPreferencesRequest(), metadata=metadata
        ),
        "UpdatePreferences": lambda: s.UpdatePreferences(
            library_pb2.UpdatePreferencesRequest(
                preferences=library_pb2.Preferences(vocabulary=["Mine"])
            ),
            metadata=metadata,
        ),
        "CreateSummaryTemplate": lambda: s.CreateSummaryTemplate(
            library_pb2.CreateSummaryTemplateRequest(
                summary_template=library_pb2.SummaryTemplate(name="New", instructions="Short.")
            ),
            metadata=metadata,
        ),
        "GetSummaryTemplate": lambda: s.GetSummaryTemplate(
            library_pb2.GetSummaryTemplateRequest(summary_template_id=r.template.id),
            metadata=metadata,
        ),
        "ListSummaryTemplates": lambda: s.ListSummaryTemplates(
            library_pb2.ListSummaryTemplatesRequest(), metadata=metadata
        ),
        "UpdateSummaryTemplate": lambda: s.UpdateSummaryTemplate(
            library_pb2.UpdateSummaryTemplateRequest(
                summary_template=library_pb2.SummaryTemplate(
                    id=r.template.id, name="Mine now", instructions="Mine."
                )
            ),
            metadata=metadata,
        ),
        "DeleteSummaryTemplate": lambda: s.DeleteSummaryTemplate(
            library_pb2.DeleteSummaryTemplateRequest(summary_template_id=r.template.id),
            metadata=metadata,
        ),
        "CreateShareLink": lambda: s.CreateShareLink(
            library_pb2.CreateShareLinkRequest(document_id=doc_id), metadata=metadata
        ),
        "ListShareLinks": lambda: s.ListShareLinks(
            library_pb2.ListShareLinksRequest(document_id=doc_id), metadata=metadata
        ),
        "RevokeShareLink": lambda: s.RevokeShareLink(
            library_pb2.RevokeShareLinkRequest(share_link_id=r.share_link.id), metadata=metadata
        ),
        # Public: a share link's token is the credential, and here there is a made-up one.
        **shared_calls(lib, metadata, "not-a-share-token"),
    }


def shared_calls(
    lib: LibraryHarness, metadata: Metadata, token: str
) -> dict[str, Callable[[], Awaitable[Any]]]:
    s = lib.library
    return {
        "GetSharedDocument": lambda: s.GetSharedDocument(
            library_pb2.GetSharedDocumentRequest(token=token), metadata=metadata
        ),
        "ExportSharedDocument": lambda: drain(
            s.ExportSharedDocument(
                library_pb2.ExportSharedDocumentRequest(
                    token=token, format=library_pb2.EXPORT_FORMAT_TXT
                ),
                metadata=metadata,
            )
        ),
        "ExportSharedDocumentContent": lambda: drain(
            s.ExportSharedDocumentContent(
                library_pb2.ExportSharedDocumentContentRequest(token=token, format="txt"),
                metadata=metadata,
            )
        ),
        "GetSharedDownloadUrl": lambda: s.GetSharedDownloadUrl(
            library_pb2.GetSharedDownloadUrlRequest(token=token, kind=library_pb2.FILE_KIND_PDF),
            metadata=metadata,
        ),
    }


def jobs_calls(lib: LibraryHarness, metadata: Metadata) -> dict[str, Callable[[], Awaitable[Any]]]:
    s = lib.jobs
    return {
        "ListJobs": lambda: s.ListJobs(library_pb2.ListJobsRequest(), metadata=metadata),
        "GetJob": lambda: s.GetJob(library_pb2.GetJobRequest(job_id="any"), metadata=metadata),
        "RetryJob": lambda: s.RetryJob(
            library_pb2.RetryJobRequest(job_id="any"), metadata=metadata
        ),
        "GetQueueStats": lambda: s.GetQueueStats(
            library_pb2.GetQueueStatsRequest(), metadata=metadata
        ),
    }


def rpc_names(service: str) -> set[str]:
    return {m.name for m in library_pb2.DESCRIPTOR.services_by_name[service].methods}


@pytest.mark.asyncio
@pytest.mark.parametrize(("who", "metadata"), ANONYMOUS, ids=[who for who, _ in ANONYMOUS])
async def test_every_rpc_rejects_calls_without_a_valid_token(
    lib: LibraryHarness, speech_wav: Path, who: str, metadata: Metadata
) -> None:
    owner = lib.user()
    resources = await owned_by(lib, owner, speech_wav)
    data = await asyncio.to_thread(speech_wav.read_bytes)
    library = library_calls(lib, resources, metadata, data)
    jobs = jobs_calls(lib, metadata)
    assert set(library) == rpc_names("LibraryService")
    assert set(jobs) == rpc_names("JobsService")
    # The shared-document RPCs need no sign-in: a made-up token is simply not a link.
    for name in shared_calls(lib, metadata, ""):
        error = await call_fails(library.pop(name)(), Code.NOT_FOUND)
        assert error.details() == "This share link has expired or was revoked.", name
    for name, call in {**library, **jobs}.items():
        error = await call_fails(call(), Code.UNAUTHENTICATED)
        assert error.details(), name
    still = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=resources.document.id),
        metadata=owner.metadata,
    )
    assert still.document.title == "Secret"


@pytest.mark.asyncio
async def test_another_users_resources_are_not_found(lib: LibraryHarness, speech_wav: Path) -> None:
    owner, intruder = lib.user(), lib.user()
    resources = await owned_by(lib, owner, speech_wav)
    own_document = await upload(lib, intruder, speech_wav)
    data = await asyncio.to_thread(speech_wav.read_bytes)
    calls = library_calls(lib, resources, intruder.metadata, data)
    # Calls that name none of A's resources work, and show nothing of A's.
    for name in (
        "CreateFolder",
        "ListFolders",
        "DownloadFile",
        "GetPreferences",
        "UpdatePreferences",
        "CreateSummaryTemplate",
        "ListSummaryTemplates",
        *shared_calls(lib, intruder.metadata, ""),
    ):
        calls.pop(name)
    folders = await lib.library.ListFolders(
        library_pb2.ListFoldersRequest(), metadata=intruder.metadata
    )
    assert list(folders.folders) == []
    documents = await lib.library.ListDocuments(
        library_pb2.ListDocumentsRequest(query="Secret"), metadata=intruder.metadata
    )
    assert [d.id for d in documents.documents] == []

    for name, call in calls.items():
        error = await call_fails(call(), Code.NOT_FOUND)
        assert "does not exist" in (error.details() or ""), name
    # Moving one's own document into A's folder is the same as a folder that does not exist.
    await call_fails(
        lib.library.UpdateDocument(
            library_pb2.UpdateDocumentRequest(
                document=library_pb2.Document(id=own_document.id, folder_id=resources.folder.id),
                update_mask=FieldMask(paths=["folder_id"]),
            ),
            metadata=intruder.metadata,
        ),
        Code.NOT_FOUND,
    )

    # A's resources are untouched.
    folder = await lib.library.GetFolder(
        library_pb2.GetFolderRequest(folder_id=resources.folder.id), metadata=owner.metadata
    )
    assert (folder.folder.name, folder.folder.document_count) == ("Private", 1)
    document = await lib.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=resources.document.id),
        metadata=owner.metadata,
    )
    assert (document.document.title, document.document.status) == (
        "Secret",
        library_pb2.DOCUMENT_STATUS_PROCESSING,
    )
    progress = await lib.library.GetUpload(
        library_pb2.GetUploadRequest(upload_id=resources.upload_id), metadata=owner.metadata
    )
    assert (progress.received_bytes, progress.size_bytes) == (0, resources.upload_size)
    assert lib.stored_keys(owner) == [
        f"uploads/audio/{owner.id}/{resources.document.id}/original.wav"
    ]
