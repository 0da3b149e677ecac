"""Objects as files under one folder: development, tests and single-machine installs.

`root/<key>` holds the bytes and `root/.meta/<key>.json` the content type. Writes go to
`root/.partial/` first and are renamed into place (`os.replace`, same file system), so a
reader sees the old object or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from services.kernel.storage.errors import ObjectNotFound
from services.kernel.storage.keys import DEFAULT_AREAS, validate_key, validate_prefix
from services.kernel.storage.model import (
    ObjectInfo,
    ObjectStore,
    ObjectStream,
    UrlSigner,
)

# Areas are plain names, so these never collide with a key.
_META_DIR = ".meta"
_PARTIAL_DIR = ".partial"


class LocalObjectStore(ObjectStore):
    def __init__(
        self,
        root: Path,
        url_signer: UrlSigner,
        *,
        areas: Collection[str] = DEFAULT_AREAS,
    ) -> None:
        self.root = root
        self._url_signer = url_signer
        self._areas = tuple(areas)

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> None:
        with open(path, "rb") as source:
            self._write(key, content_type, lambda target: shutil.copyfileobj(source, target))

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._write(key, content_type, lambda target: target.write(data))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._data_path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def _open_chunks(
        self, key: str, chunk_size: int, start: int, length: int | None
    ) -> ObjectStream:
        try:
            file = self._data_path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        file.seek(start)
        if length is None:
            return ObjectStream(lambda: file.read(chunk_size), file.close)
        left = length

        def read_chunk() -> bytes:
            nonlocal left
            chunk = file.read(min(chunk_size, left))
            left -= len(chunk)
            return chunk

        return ObjectStream(read_chunk, file.close)

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._data_path(key)
        try:
            status = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        return ObjectInfo(
            key=key,
            size=status.st_size,
            content_type=self._content_type(key),
            last_modified=datetime.fromtimestamp(status.st_mtime, UTC),
        )

    def delete(self, key: str) -> None:
        path = self._data_path(key)
        for file in (path, self._meta_path(key)):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                file.unlink()
        self._prune_empty_parents(path.parent, self.root)
        self._prune_empty_parents(self._meta_path(key).parent, self.root / _META_DIR)

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.list(prefix)]
        for key in keys:
            self.delete(key)
        return len(keys)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        folder = validate_prefix(prefix, self._areas)
        start = self.root / folder
        files: list[Path] = []
        for directory, _, names in os.walk(start):
            files.extend(Path(directory, name) for name in names)
        for path in sorted(files, key=lambda file: file.relative_to(self.root).as_posix()):
            try:
                status = path.stat()
            except FileNotFoundError:
                continue  # deleted since the walk
            yield ObjectInfo(
                key=path.relative_to(self.root).as_posix(),
                size=status.st_size,
                content_type=None,
                last_modified=datetime.fromtimestamp(status.st_mtime, UTC),
            )

    def _signed_url(
        self, key: str, expires: timedelta, download_name: str | None, inline: bool
    ) -> str:
        validate_key(key, self._areas)
        return self._url_signer(key, expires, download_name, inline=inline)

    def _write(self, key: str, content_type: str, fill: Callable[[BinaryIO], object]) -> None:
        target = self._data_path(key)
        # Type first: a reader may briefly see the new type with the old bytes, never a
        # new object without its type.
        self._replace_atomically(
            self._meta_path(key),
            lambda file: file.write(json.dumps({"content_type": content_type}).encode()),
        )
        self._replace_atomically(target, fill)

    def _replace_atomically(self, target: Path, fill: Callable[[BinaryIO], object]) -> None:
        partial_dir = self.root / _PARTIAL_DIR
        partial_dir.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, partial_name = tempfile.mkstemp(dir=partial_dir)
        try:
            with os.fdopen(descriptor, "wb") as partial:
                fill(partial)
                partial.flush()
                os.fsync(partial.fileno())
            os.replace(partial_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial_name)
            raise

    def _content_type(self, key: str) -> str:
        try:
            recorded = json.loads(self._meta_path(key).read_bytes())["content_type"]
        except (OSError, ValueError, KeyError, TypeError):
            return "application/octet-stream"
        return recorded if isinstance(recorded, str) else "application/octet-stream"

    def _data_path(self, key: str) -> Path:
        return self._inside_root(self.root / validate_key(key, self._areas))

    def _meta_path(self, key: str) -> Path:
        return self._inside_root(self.root / _META_DIR / f"{validate_key(key, self._areas)}.json")

    def _inside_root(self, path: Path) -> Path:
        # Keys are validated already; this also stops a symlink planted inside the root.
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise PermissionError(f"{path} resolves outside the storage root {root}.")
        return path

    def _prune_empty_parents(self, directory: Path, base: Path) -> None:
        # Empty per-document folders would otherwise pile up forever.
        stop = {base, *(base / area for area in self._areas)}
        while directory not in stop and directory.is_relative_to(base):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent
