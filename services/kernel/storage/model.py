"""The object-storage port every service uses, and what both adapters share."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self
from urllib.parse import quote

DEFAULT_CHUNK_SIZE = 1024 * 1024
# S3 signature V4 accepts presigned URLs valid for at most seven days.
MAX_LINK_LIFETIME = timedelta(days=7)


class UrlSigner(Protocol):
    """(key, lifetime, download name, inline?) -> URL: how the local adapter makes links."""

    def __call__(
        self, key: str, expires: timedelta, download_name: str | None, *, inline: bool = False
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One stored object. `content_type` is None in listings: S3 `ListObjects` does not
    return it, so neither adapter does there (`stat` always has it)."""

    key: str
    size: int
    content_type: str | None
    last_modified: datetime


class ObjectStore(ABC):
    """Blocking object storage; async callers run each call with `asyncio.to_thread`.

    Keys look like `uploads/audio/{userId}/{docId}/original.mp3` (see `keys.py`); invalid
    keys raise `InvalidObjectKey` (a ValueError) before any I/O. The port and what both
    adapters share: arguments are checked here, before any I/O; each adapter reads, writes
    and signs links its own way.
    """

    @abstractmethod
    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> None:
        """Stores a file from disk (multipart on S3); readers never see a partial object."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Raises `ObjectNotFound`."""

    def iter_chunks(
        self,
        key: str,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        *,
        start: int = 0,
        length: int | None = None,
    ) -> ObjectStream:
        """Streams an object, or `length` bytes of it from byte `start` (HTTP Range answers);
        raises `ObjectNotFound` at once, not on the first chunk."""
        check_chunk_size(chunk_size)
        check_range(start, length)
        return self._open_chunks(key, chunk_size, start, length)

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo | None: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing object succeeds."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Deletes every object in the folder `prefix`; returns how many there were."""

    @abstractmethod
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Objects in the folder `prefix` and below, in key order."""

    def presigned_get_url(
        self,
        key: str,
        expires: timedelta,
        download_name: str | None = None,
        *,
        inline: bool = False,
    ) -> str:
        """A URL anyone may GET until `expires` passes; `download_name` sets the
        Content-Disposition file name, `inline` asks browsers to show the file rather than
        save it. Does not check that the object exists. Both adapters answer HTTP Range."""
        check_link_lifetime(expires)
        return self._signed_url(key, expires, download_name, inline)

    @abstractmethod
    def _open_chunks(
        self, key: str, chunk_size: int, start: int, length: int | None
    ) -> ObjectStream:
        """`iter_chunks` with checked arguments: `length` None reads to the end."""

    @abstractmethod
    def _signed_url(
        self, key: str, expires: timedelta, download_name: str | None, inline: bool
    ) -> str:
        """`presigned_get_url` with a checked lifetime."""


class ObjectStream(Iterator[bytes]):
    """Chunks of one object; releases the file or connection when exhausted, closed,
    left as a context manager, or garbage-collected — so a consumer may stop early."""

    def __init__(self, read_chunk: Callable[[], bytes], release: Callable[[], None]) -> None:
        self._read_chunk = read_chunk
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        if self._release is None:
            raise StopIteration
        try:
            chunk = self._read_chunk()
        except BaseException:
            self.close()
            raise
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    @property
    def closed(self) -> bool:
        return self._release is None

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def check_link_lifetime(expires: timedelta) -> None:
    if not timedelta(seconds=1) <= expires <= MAX_LINK_LIFETIME:
        raise ValueError(f"A download link must live between 1 s and 7 days, not {expires}.")


def check_chunk_size(chunk_size: int) -> None:
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}.")


def content_disposition(download_name: str, *, inline: bool = False) -> str:
    """`attachment` (save) or `inline` (show: a PDF in the page, a player's media) with an
    ASCII fallback name and the exact UTF-8 name (RFC 6266/5987), so browsers save e.g.
    `Réunion.pdf` under its real name."""
    fallback = "".join(
        char if 0x20 <= ord(char) < 0x7F and char not in '"\\' else "_" for char in download_name
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(download_name, safe='')}"


def check_range(start: int, length: int | None) -> None:
    if start < 0 or (length is not None and length < 0):
        raise ValueError(f"A byte range must not be negative, not start={start} length={length}.")
