"""The streaming RPCs: upload (client stream), watch, download and export (server streams).

Each takes an optional callback or rich progress bar so commands decide how to show it.
Every operation restarts from the beginning when `Session.authorized` retries it after a
token refresh.
"""

from __future__ import annotations

import mimetypes
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO, TypeVar

import grpc
from rich.markup import escape
from rich.progress import Progress, TaskID

from services.cli.errors import CliError, ExitCode
from services.cli.labels import DOCUMENT_STATUS, STAGE, STAGE_TEXT
from services.cli.session import Metadata, Session
from speechflow.library.v1 import library_pb2

CHUNK_BYTES = 1024 * 1024
# A message of DownloadDocument or ExportDocument: both carry data, content_type, file_name.
Request = TypeVar("Request")
ChunkT = TypeVar("ChunkT", library_pb2.DownloadDocumentResponse, library_pb2.ExportDocumentResponse)
FINAL_STATUSES = frozenset(
    {
        library_pb2.DOCUMENT_STATUS_COMPLETED,
        library_pb2.DOCUMENT_STATUS_FAILED,
    }
)


def upload_requests(
    path: Path, metadata: library_pb2.UploadMetadata, sent: Callable[[int], object]
) -> Iterator[library_pb2.UploadDocumentRequest]:
    """Metadata first, then the file in 1 MiB chunks, reporting each chunk once it is handed
    to gRPC (the call reads this generator from its own thread)."""
    yield library_pb2.UploadDocumentRequest(metadata=metadata)
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield library_pb2.UploadDocumentRequest(chunk=chunk)
            sent(len(chunk))


def upload_file(
    session: Session, path: Path, settings: library_pb2.UploadMetadata, progress: Progress
) -> library_pb2.Document:
    """Uploads one file with the document `settings` every file of one command shares
    (folder, title, languages, summary, hotwords, speakers); the file's own name, type and
    size are filled in here."""
    size = path.stat().st_size
    metadata = library_pb2.UploadMetadata()
    metadata.CopyFrom(settings)
    metadata.file_name = path.name
    metadata.content_type = mimetypes.guess_type(path.name)[0] or ""
    metadata.size_bytes = size
    # Same key on a retry after a token refresh: the server returns the same document.
    metadata.request_id = str(uuid.uuid4())
    task = progress.add_task(escape(path.name), total=size)

    def send(credentials: Metadata) -> library_pb2.Document:
        progress.reset(task, total=size)
        requests = upload_requests(path, metadata, lambda n: progress.advance(task, n))
        return session.library.UploadDocument(requests, metadata=credentials).document

    return session.authorized(send)


def watch_document(
    session: Session,
    document_id: str,
    seen: Callable[[library_pb2.WatchDocumentResponse], object],
) -> library_pb2.WatchDocumentResponse:
    """Follow a document until COMPLETED or FAILED and return that last state."""

    def follow(credentials: Metadata) -> library_pb2.WatchDocumentResponse | None:
        call = session.library.WatchDocument(
            library_pb2.WatchDocumentRequest(document_id=document_id), metadata=credentials
        )
        last = None
        try:
            for update in call:
                seen(update)
                last = update
                if update.status in FINAL_STATUSES:
                    break
        finally:
            call.cancel()
        return last

    last = session.authorized(follow)
    if last is None or last.status not in FINAL_STATUSES:
        raise CliError(
            "The server stopped the watch before the document finished.",
            ExitCode.UNAVAILABLE,
            hint=f"Run `speechflow watch {document_id}` to follow it again.",
        )
    return last


def stage_text(update: library_pb2.WatchDocumentResponse) -> str:
    status = DOCUMENT_STATUS.label(update.status)
    if update.status in FINAL_STATUSES:
        return status
    # The server's message already names the step ("Transcribing (11 of 40)").
    if update.message:
        return update.message
    stage = STAGE.label(update.stage)
    return STAGE_TEXT.get(stage, stage or status)


class WatchDisplay:
    """One percent bar per document, its text following the pipeline's stage."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def follow(self, document_id: str, name: str) -> None:
        self._tasks[document_id] = self._progress.add_task("", total=100, name=escape(name))

    def __call__(self, update: library_pb2.WatchDocumentResponse) -> None:
        task = self._tasks.get(update.document_id)
        if task is None:
            self.follow(update.document_id, update.document_id)
            task = self._tasks[update.document_id]
        self._progress.update(
            task, completed=update.progress, description=escape(stage_text(update))
        )


@dataclass(frozen=True)
class Downloaded:
    path: Path | None  # None: written to stdout
    size_bytes: int
    content_type: str
    file_name: str


def save_stream(
    session: Session,
    method: grpc.UnaryStreamMultiCallable[Request, ChunkT],
    request: Request,
    fallback: str,
    output: str | None,
    progress: Progress,
) -> Downloaded:
    """Saves the file `method` (DownloadDocument or ExportDocument) streams for `request` as
    `output` says (see `download_target`), under the name its first message gives or else
    `fallback`; the stream is opened again from the start when the sign-in must be refreshed."""

    def fetch(credentials: Metadata) -> Downloaded:
        first, rest = _first_message(method(request, metadata=credentials))
        name = safe_file_name(first.file_name) or fallback
        target = download_target(output, name)
        # A download's first message gives its size; exports are made on request, so their
        # size is unknown up front and the bar counts bytes.
        size = first.size_bytes if isinstance(first, library_pb2.DownloadDocumentResponse) else 0
        task = progress.add_task(escape(name), total=size or None)
        written = 0
        with _sink(target) as sink:
            for message in chain([first], rest):
                sink.write(message.data)
                written += len(message.data)
                progress.advance(task, len(message.data))
        return Downloaded(target, written, first.content_type, name)

    return session.authorized(fetch)


def _first_message(call: Iterable[ChunkT]) -> tuple[ChunkT, Iterator[ChunkT]]:
    """A streamed file's first message and the rest; the call's errors surface here, before
    any file is created."""
    messages = iter(call)
    first = next(messages, None)
    if first is None:
        raise CliError("The server sent no data.", ExitCode.ERROR)
    return first, messages


def safe_file_name(name: str) -> str:
    """The server's suggested name without any directory part, so it cannot escape `-o`."""
    base = Path(name.replace("\\", "/")).name
    return "" if base in ("", ".", "..") else base


def download_target(output: str | None, name: str) -> Path | None:
    if output == "-":
        return None
    if output is None:
        return Path.cwd() / name
    chosen = Path(output).expanduser()
    return chosen / name if chosen.is_dir() else chosen


@contextmanager
def _sink(target: Path | None) -> Iterator[BinaryIO]:
    """Stdout, or a hidden partial file renamed into place only once every byte arrived."""
    if target is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as file:
            yield file
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
