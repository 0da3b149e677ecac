"""Property-based: whatever upload metadata, list filters, page tokens or field masks a
client sends, the library answers OK or one of its documented statuses, never INTERNAL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import grpc.aio
import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.recordings import speech_recording
from services.mesh.nats_server import NatsServer
from speechflow.library.v1 import library_pb2
from tests.reliability.in_process_library import InProcessLibrary, library_in_process
from tests.reliability.ledger import LEDGER

pytestmark = pytest.mark.slow

DOCUMENTED = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
text = st.text(max_size=300)
int32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
DOCUMENT_FIELDS = [f.name for f in library_pb2.Document.DESCRIPTOR.fields]


@pytest.fixture(scope="module")
async def lib(
    nats_server: NatsServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[InProcessLibrary]:
    LEDGER.scenario("property-based: upload metadata, list filters/page tokens, field masks")
    async with library_in_process(tmp_path_factory.mktemp("props"), nats_server.url) as harness:
        yield harness


async def status_of(call: object) -> tuple[grpc.StatusCode, str]:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        LEDGER.error(error.code().name)
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


async def answered(call: object) -> None:
    """Only OK or a documented status is acceptable."""
    code, details = await status_of(call)
    assert code == grpc.StatusCode.OK or code in DOCUMENTED, (code, details)


@EXAMPLES
@given(
    file_name=text,
    size_bytes=int64,
    language=text,
    summary_length=int32,
    title=text,
    folder_id=text,
    request_id=text,
    payload=st.binary(max_size=2048),
)
async def test_any_upload_metadata_gets_a_documented_answer(
    lib: InProcessLibrary,
    file_name: str,
    size_bytes: int,
    language: str,
    summary_length: int,
    title: str,
    folder_id: str,
    request_id: str,
    payload: bytes,
) -> None:
    metadata = library_pb2.UploadMetadata(
        file_name=file_name,
        size_bytes=size_bytes,
        language=language,
        summary_length=summary_length,  # type: ignore[arg-type]
        title=title,
        folder_id=folder_id,
        request_id=request_id,
    )

    async def messages() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
        yield library_pb2.UploadDocumentRequest(metadata=metadata)
        if payload:
            yield library_pb2.UploadDocumentRequest(chunk=payload)

    await answered(lib.library.UploadDocument(messages(), metadata=lib.metadata))
    await answered(
        lib.library.StartUpload(
            library_pb2.StartUploadRequest(metadata=metadata), metadata=lib.metadata
        )
    )


@EXAMPLES
@given(
    page_size=int32,
    page_token=st.one_of(text, st.binary(max_size=200).map(lambda b: b.hex())),
    folder_id=text,
    status=int32,
    query=text,
    after=st.integers(min_value=-62135596800, max_value=253402300799),
    before=st.integers(min_value=-62135596800, max_value=253402300799),
)
async def test_any_list_filter_and_page_token_gets_a_documented_answer(
    lib: InProcessLibrary,
    page_size: int,
    page_token: str,
    folder_id: str,
    status: int,
    query: str,
    after: int,
    before: int,
) -> None:
    request = library_pb2.ListDocumentsRequest(
        page_size=page_size,
        page_token=page_token,
        folder_id=folder_id,
        status=status,  # type: ignore[arg-type]
        query=query,
        create_time_after=timestamp_pb2.Timestamp(seconds=after),
        create_time_before=timestamp_pb2.Timestamp(seconds=before),
    )
    await answered(lib.library.ListDocuments(request, metadata=lib.metadata))
    await answered(
        lib.library.ListFolders(
            library_pb2.ListFoldersRequest(page_size=page_size, page_token=page_token),
            metadata=lib.metadata,
        )
    )


@pytest.fixture(scope="module")
async def own_document(lib: InProcessLibrary, tmp_path_factory: pytest.TempPathFactory) -> str:
    recording = speech_recording(tmp_path_factory.mktemp("doc"), 2, "mask")
    data = recording.read_bytes()

    async def messages() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
        yield library_pb2.UploadDocumentRequest(
            metadata=library_pb2.UploadMetadata(file_name=recording.name, size_bytes=len(data))
        )
        yield library_pb2.UploadDocumentRequest(chunk=data)

    response = await lib.library.UploadDocument(messages(), metadata=lib.metadata)
    return response.document.id


@EXAMPLES
@given(
    paths=st.lists(st.one_of(st.sampled_from(DOCUMENT_FIELDS), text), max_size=5),
    title=text,
    folder_id=text,
    use_own_document=st.booleans(),
)
async def test_any_field_mask_gets_a_documented_answer(
    lib: InProcessLibrary,
    own_document: str,
    paths: list[str],
    title: str,
    folder_id: str,
    use_own_document: bool,
) -> None:
    document = library_pb2.Document(
        id=own_document if use_own_document else title[:40],
        title=title,
        folder_id=folder_id,
    )
    await answered(
        lib.library.UpdateDocument(
            library_pb2.UpdateDocumentRequest(
                document=document, update_mask=field_mask_pb2.FieldMask(paths=paths)
            ),
            metadata=lib.metadata,
        )
    )
