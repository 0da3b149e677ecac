"""Copy the object store to a folder and back, through the `ObjectStore` port, so the same
code mirrors local disk and S3 (MinIO) alike."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from services.kernel.storage import PDFS, TRANSCRIPTS, UPLOADS, ObjectStore

# temp/ holds processing leftovers that expire after a day: not worth keeping.
BACKED_UP_AREAS: tuple[str, ...] = (UPLOADS, PDFS, TRANSCRIPTS)


@dataclass(frozen=True)
class MirroredObject:
    key: str
    size: int
    sha256: str
    content_type: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MirroredObject:
        return cls(
            key=str(data["key"]),
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            content_type=str(data["content_type"]),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CorruptBackup(RuntimeError):
    """A mirrored file does not match the checksum recorded when it was backed up."""


class StoreNotEmpty(RuntimeError):
    """Restoring would mix with existing objects; restore only into an empty deployment."""


def mirror_store(
    store: ObjectStore, folder: Path, areas: Iterable[str] = BACKED_UP_AREAS
) -> list[MirroredObject]:
    """Streams every object of `areas` into `folder/<key>`; returns what was copied."""
    mirrored: list[MirroredObject] = []
    for area in areas:
        for info in store.list(f"{area}/"):
            stat = store.stat(info.key)
            if stat is None:
                continue  # deleted while we walked the listing
            target = folder / info.key
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            with store.iter_chunks(info.key) as chunks, target.open("wb") as file:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    file.write(chunk)
            mirrored.append(
                MirroredObject(
                    key=info.key,
                    size=size,
                    sha256=digest.hexdigest(),
                    content_type=stat.content_type or "application/octet-stream",
                )
            )
    return mirrored


def store_is_empty(store: ObjectStore, areas: Iterable[str] = BACKED_UP_AREAS) -> bool:
    return all(next(iter(store.list(f"{area}/")), None) is None for area in areas)


def restore_store(store: ObjectStore, folder: Path, objects: Iterable[MirroredObject]) -> int:
    """Uploads each mirrored file after checking its checksum; returns how many."""
    count = 0
    for item in objects:
        source = folder / item.key
        if file_sha256(source) != item.sha256:
            raise CorruptBackup(f"{source} does not match its recorded checksum.")
        store.put_file(item.key, source, item.content_type)
        count += 1
    return count


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
