"""Uploads: streaming and resumable, with the bad-input corpus; nothing stored on rejection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from speechflow.library.v1 import library_pb2
from tests import media
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import MAX_UPLOAD_BYTES, LibraryHarness, User
from tests.library.helpers import start_resumable, upload

Code = grpc.StatusCode


def assert_nothing_stored(lib: LibraryHarness, user: User) -> None:
    assert lib.stored_keys(user) == []
    assert lib.spool_files() == []


async def document_count(lib: LibraryHarness, user: User) -> int:
    listed = await lib.library.ListDocuments(
        library_pb2.ListDocumentsRequest(), metadata=user.metadata
    )
    return len(listed.documents)


async def test_upload_sniffs_the_type_and_starts_processing(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    document = await upload(
        lib, user, speech_wav, file_name="meeting.txt", content_type="text/plain", title="Budget"
    )
    assert document.status == library_pb2.DOCUMENT_STATUS_PROCESSING
    assert document.progress == 10
    assert document.content_type == "audio/wav"  # from the bytes, not the name or declaration
    assert document.original_file_name == "meeting.txt"
    assert document.title == "Budget"
    assert 2 < document.duration.ToTimedelta().total_seconds() < 10
    assert document.summary_length == library_pb2.SUMMARY_LENGTH_MEDIUM
    keys = lib.stored_keys(user)
    assert keys == [f"uploads/audio/{user.id}/{document.id}/original.wav"]
    assert lib.spool_files() == []


async def test_video_upload_is_stored_as_video(
    lib: LibraryHarness, speech_wav: Path, tmp_path: Path
) -> None:
    user = lib.user()
    video = media.make_video_with_audio(speech_wav, tmp_path / "talk.mp4")
    document = await upload(lib, user, video)
    assert document.content_type == "video/mp4"
    assert lib.stored_keys(user)[0].startswith(f"uploads/video/{user.id}/")


async def test_path_in_file_name_is_sanitized(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    document = await upload(lib, user, speech_wav, file_name="../../etc/passwd")
    assert document.original_file_name == "passwd"
    assert all(".." not in key for key in lib.stored_keys(user))


def _corpus(tmp: Path, wav: Path) -> dict[str, tuple[Path, str]]:
    mp3 = media.convert_audio(wav, tmp / "good.mp3")
    text = tmp / "notes.wav"
    text.write_text("This is a text file pretending to be a recording.\n" * 20)
    return {
        "random bytes named .mp3": (
            media.write_random_bytes(tmp / "noise.mp3"),
            "UNSUPPORTED_MEDIA",
        ),
        "truncated mp3": (media.truncate_file(mp3, tmp / "cut.mp3", 0.05), "TRUNCATED_MEDIA"),
        "text renamed .wav": (text, "UNSUPPORTED_MEDIA"),
        "video without audio": (
            media.make_video_without_audio(tmp / "silent.mp4"),
            "NO_AUDIO_TRACK",
        ),
    }


async def test_bad_files_are_rejected_and_nothing_is_stored(
    lib: LibraryHarness, speech_wav: Path, tmp_path: Path
) -> None:
    user = lib.user()
    for name, (path, reason) in _corpus(tmp_path, speech_wav).items():
        error = await call_fails(upload(lib, user, path), Code.INVALID_ARGUMENT)
        assert error_info(error).reason == reason, name
        assert error.details(), name
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    error = await call_fails(upload(lib, user, empty), Code.INVALID_ARGUMENT)
    assert error_info(error).reason == "SIZE_REQUIRED"
    assert await document_count(lib, user) == 0
    assert_nothing_stored(lib, user)


async def test_size_rules_are_enforced_while_streaming(
    lib: LibraryHarness, speech_wav: Path, tmp_path: Path
) -> None:
    user = lib.user()
    big = media.write_random_bytes(tmp_path / "big.wav", size=MAX_UPLOAD_BYTES + 1)
    declared_big = await call_fails(upload(lib, user, big), Code.INVALID_ARGUMENT)
    assert error_info(declared_big).reason == "FILE_TOO_LARGE"
    # A client lying about the size is stopped as soon as the bytes pass the limit.
    lying = await call_fails(upload(lib, user, big, size_bytes=1000), Code.INVALID_ARGUMENT)
    assert error_info(lying).reason in {"SIZE_MISMATCH", "FILE_TOO_LARGE"}
    short = await call_fails(
        upload(lib, user, speech_wav, size_bytes=speech_wav.stat().st_size + 10),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(short).reason == "SIZE_MISMATCH"
    assert await document_count(lib, user) == 0
    assert_nothing_stored(lib, user)


async def test_unknown_folder_and_bad_settings_are_rejected(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    await call_fails(upload(lib, user, speech_wav, folder_id="nope"), Code.NOT_FOUND)
    error = await call_fails(upload(lib, user, speech_wav, language="de"), Code.INVALID_ARGUMENT)
    assert error_info(error).reason == "UNSUPPORTED_LANGUAGE"
    await call_fails(upload(lib, user, speech_wav, summary_length=9), Code.INVALID_ARGUMENT)
    await call_fails(upload(lib, user, speech_wav, file_name="  "), Code.INVALID_ARGUMENT)
    assert_nothing_stored(lib, user)


async def test_metadata_must_come_first(lib: LibraryHarness) -> None:
    user = lib.user()

    async def chunks_only() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
        yield library_pb2.UploadDocumentRequest(chunk=b"abc")

    error = await call_fails(
        lib.library.UploadDocument(chunks_only(), metadata=user.metadata), Code.INVALID_ARGUMENT
    )
    assert error_info(error).reason == "METADATA_FIRST"


async def test_cancelled_upload_leaves_no_row_and_no_object(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    data = speech_wav.read_bytes()
    halfway = asyncio.Event()

    async def stalling() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
        metadata = library_pb2.UploadMetadata(file_name="a.wav", size_bytes=len(data))
        yield library_pb2.UploadDocumentRequest(metadata=metadata)
        yield library_pb2.UploadDocumentRequest(chunk=data[: len(data) // 2])
        halfway.set()
        await asyncio.sleep(3600)

    call = lib.library.UploadDocument(stalling(), metadata=user.metadata)
    await halfway.wait()
    await asyncio.sleep(0.3)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(50):  # the server notices the cancellation asynchronously
        if not lib.spool_files():
            break
        await asyncio.sleep(0.1)
    assert await document_count(lib, user) == 0
    assert_nothing_stored(lib, user)


async def test_same_request_id_returns_the_same_document(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    first = await upload(lib, user, speech_wav, request_id="retry-1")
    second = await upload(lib, user, speech_wav, request_id="retry-1")
    assert first.id == second.id
    assert await document_count(lib, user) == 1


async def test_resumable_upload_survives_repeats_and_reports_progress(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    data = speech_wav.read_bytes()
    started = await lib.library.StartUpload(
        library_pb2.StartUploadRequest(
            metadata=library_pb2.UploadMetadata(file_name="talk.wav", size_bytes=len(data))
        ),
        metadata=user.metadata,
    )
    upload_id, step = started.upload_id, started.max_chunk_bytes
    assert step == 64 * 1024
    for offset in range(0, len(data), step):
        chunk = library_pb2.UploadChunkRequest(
            upload_id=upload_id, offset=offset, data=data[offset : offset + step]
        )
        await lib.library.UploadChunk(chunk, metadata=user.metadata)
        again = await lib.library.UploadChunk(chunk, metadata=user.metadata)  # a retry
        assert again.received_bytes == min(offset + step, len(data))
        if offset == 0:
            wrong = library_pb2.UploadChunkRequest(
                upload_id=upload_id, offset=offset + 2 * step, data=b"x"
            )
            error = await call_fails(
                lib.library.UploadChunk(wrong, metadata=user.metadata), Code.FAILED_PRECONDITION
            )
            assert error_info(error).metadata["received_bytes"] == str(step)
    progress = await lib.library.GetUpload(
        library_pb2.GetUploadRequest(upload_id=upload_id), metadata=user.metadata
    )
    assert progress.received_bytes == progress.size_bytes == len(data)
    finished = await lib.library.FinishUpload(
        library_pb2.FinishUploadRequest(upload_id=upload_id), metadata=user.metadata
    )
    assert finished.document.status == library_pb2.DOCUMENT_STATUS_PROCESSING
    await call_fails(
        lib.library.GetUpload(
            library_pb2.GetUploadRequest(upload_id=upload_id), metadata=user.metadata
        ),
        Code.NOT_FOUND,
    )
    assert lib.spool_files() == []


async def test_resumable_upload_with_bad_bytes_is_rejected_and_cleaned_up(
    lib: LibraryHarness, tmp_path: Path
) -> None:
    user = lib.user()
    data = media.write_random_bytes(tmp_path / "x.mp3", size=5000).read_bytes()
    started = await lib.library.StartUpload(
        library_pb2.StartUploadRequest(
            metadata=library_pb2.UploadMetadata(file_name="x.mp3", size_bytes=len(data))
        ),
        metadata=user.metadata,
    )
    finish = library_pb2.FinishUploadRequest(upload_id=started.upload_id)
    incomplete = await call_fails(
        lib.library.FinishUpload(finish, metadata=user.metadata), Code.INVALID_ARGUMENT
    )
    assert error_info(incomplete).reason == "SIZE_MISMATCH"
    # Finishing too early keeps the session, so the client can resume.
    await lib.library.UploadChunk(
        library_pb2.UploadChunkRequest(upload_id=started.upload_id, offset=0, data=data),
        metadata=user.metadata,
    )
    rejected = await call_fails(
        lib.library.FinishUpload(finish, metadata=user.metadata), Code.INVALID_ARGUMENT
    )
    assert error_info(rejected).reason == "UNSUPPORTED_MEDIA"
    assert_nothing_stored(lib, user)


async def test_expired_upload_sessions_are_removed_with_their_bytes(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from services.kernel.db import Database
    from services.library.app import database_url
    from services.library.store import UploadSessionRow

    user = lib.user()
    data = speech_wav.read_bytes()
    started = await lib.library.StartUpload(
        library_pb2.StartUploadRequest(
            metadata=library_pb2.UploadMetadata(file_name="t.wav", size_bytes=len(data))
        ),
        metadata=user.metadata,
    )
    await lib.library.UploadChunk(
        library_pb2.UploadChunkRequest(upload_id=started.upload_id, offset=0, data=data[:1000]),
        metadata=user.metadata,
    )
    assert len(lib.spool_files()) == 1
    db = Database(database_url(lib.settings))
    async with db.session() as session:
        await session.execute(
            update(UploadSessionRow).values(expire_time=datetime.now(UTC) - timedelta(seconds=1))
        )
    await db.dispose()
    await call_fails(
        lib.library.GetUpload(
            library_pb2.GetUploadRequest(upload_id=started.upload_id), metadata=user.metadata
        ),
        Code.NOT_FOUND,
    )
    # The sweep runs every few minutes; run it now.
    assert await lib.app.parts["library"].expire_upload_sessions() == 1
    assert lib.spool_files() == []


async def test_a_finish_upload_retried_after_a_lost_reply_returns_the_same_document(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    upload_id = await start_resumable(lib, user, speech_wav.read_bytes())
    finish = library_pb2.FinishUploadRequest(upload_id=upload_id)
    first = await lib.library.FinishUpload(finish, metadata=user.metadata)
    retried = await lib.library.FinishUpload(finish, metadata=user.metadata)
    assert retried.document.id == first.document.id
    assert await document_count(lib, user) == 1
    # Nobody else can learn anything from the upload id.
    await call_fails(lib.library.FinishUpload(finish, metadata=lib.user().metadata), Code.NOT_FOUND)


async def test_a_retried_start_upload_returns_the_session_it_started(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    start = library_pb2.StartUploadRequest(
        metadata=library_pb2.UploadMetadata(
            file_name="talk.wav", size_bytes=speech_wav.stat().st_size, request_id="start-1"
        )
    )
    first = await lib.library.StartUpload(start, metadata=user.metadata)
    retried = await lib.library.StartUpload(start, metadata=user.metadata)
    assert retried.upload_id == first.upload_id


@pytest.mark.library_settings(uploads_per_hour=1)
async def test_a_retried_upload_gets_its_document_even_when_a_new_one_would_be_refused(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    user = lib.user()
    first = await upload(lib, user, speech_wav, request_id="retry-2")
    refused = await call_fails(upload(lib, user, speech_wav), Code.RESOURCE_EXHAUSTED)
    assert error_info(refused).reason
    # The request id is looked up before the limits (and before any byte is spooled).
    retried = await upload(lib, user, speech_wav, request_id="retry-2")
    assert retried.id == first.id
    assert await document_count(lib, user) == 1
