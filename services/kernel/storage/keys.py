"""Object keys: one namespace shared by every service, checked before any I/O.

A key is `<area>/<name>`: the area (`uploads`, `pdfs`, `temp`, `transcripts`) picks the S3
bucket, or the top folder on local disk. Keys are built from user and document ids, so the
checks below stop a crafted id from reaching another user's files or escaping the local root.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

UPLOADS = "uploads"
PDFS = "pdfs"
TEMP = "temp"
TRANSCRIPTS = "transcripts"
DEFAULT_AREAS: tuple[str, ...] = (UPLOADS, PDFS, TEMP, TRANSCRIPTS)

# S3's limit for object names, counted in UTF-8 bytes (the area becomes the bucket, but
# keep the whole key under it so both adapters accept the same keys).
_MAX_KEY_BYTES = 1024

MediaKind = Literal["audio", "video"]


class InvalidObjectKey(ValueError):
    """A key or prefix that could escape its folder or that no adapter can store."""


def validate_key(key: str, areas: Collection[str] = DEFAULT_AREAS) -> str:
    """Returns `key` unchanged if it names one object (`area/...`, no trailing slash)."""
    _check_text(key, "key")
    if key.endswith("/"):
        raise InvalidObjectKey(f"Object key {key!r} ends with '/': it names a folder.")
    segments = key.split("/")
    _check_segments(key, segments)
    _check_area(key, segments[0], areas)
    if len(segments) < 2:
        raise InvalidObjectKey(f"Object key {key!r} has no name after its area.")
    return key


def validate_prefix(prefix: str, areas: Collection[str] = DEFAULT_AREAS) -> str:
    """Returns the folder `prefix` names, always ending in '/'.

    A prefix is a folder, not a string prefix: `pdfs/u1` means `pdfs/u1/`, so it never
    matches `pdfs/u10/...` (a string prefix would, and `delete_prefix` would then erase
    another user's files).
    """
    _check_text(prefix, "prefix")
    folder = prefix if prefix.endswith("/") else prefix + "/"
    segments = folder[:-1].split("/")
    _check_segments(prefix, segments)
    _check_area(prefix, segments[0], areas)
    return folder


def split_key(key: str) -> tuple[str, str]:
    """`area/rest` -> (area, rest); `rest` is empty for a whole-area prefix."""
    area, _, rest = key.partition("/")
    return area, rest


def upload_key(kind: MediaKind, user_id: str, document_id: str, extension: str) -> str:
    """`uploads/{audio|video}/{userId}/{docId}/original.<ext>`."""
    ext = _segment(extension.lower().lstrip("."), "extension")
    return validate_key(
        f"{UPLOADS}/{kind}/{_segment(user_id, 'user id')}/"
        f"{_segment(document_id, 'document id')}/original.{ext}"
    )


def pdf_key(user_id: str, document_id: str, version: int) -> str:
    """`pdfs/{userId}/{docId}/pdf-v{version}.pdf`: one report per document version, so a late
    render of an older version can never overwrite the current one."""
    folder = _document_folder(PDFS, user_id, document_id)
    return validate_key(f"{folder}pdf-v{_version(version)}.pdf")


def thumbnail_key(user_id: str, document_id: str, version: int) -> str:
    """`pdfs/{userId}/{docId}/thumbnail-v{version}.png` (one per version, like the PDF)."""
    folder = _document_folder(PDFS, user_id, document_id)
    return validate_key(f"{folder}thumbnail-v{_version(version)}.png")


def transcript_key(user_id: str, document_id: str, name: str) -> str:
    """`transcripts/{userId}/{docId}/<name>`."""
    return validate_key(
        f"{_document_folder(TRANSCRIPTS, user_id, document_id)}{_segment(name, 'name')}"
    )


def temp_key(document_id: str, name: str) -> str:
    """`temp/{docId}/<name>`: processing artifacts, safe to delete after a day."""
    return validate_key(f"{TEMP}/{_segment(document_id, 'document id')}/{_segment(name, 'name')}")


def document_prefixes(user_id: str, document_id: str) -> tuple[str, ...]:
    """Every folder that holds files of one document (for `delete_prefix` on deletion)."""
    user, document = _segment(user_id, "user id"), _segment(document_id, "document id")
    return (
        f"{UPLOADS}/audio/{user}/{document}/",
        f"{UPLOADS}/video/{user}/{document}/",
        f"{PDFS}/{user}/{document}/",
        f"{TRANSCRIPTS}/{user}/{document}/",
        f"{TEMP}/{document}/",
    )


def user_prefixes(user_id: str) -> tuple[str, ...]:
    """Every folder that holds files of one user (temp files are per document: list those)."""
    user = _segment(user_id, "user id")
    return (
        f"{UPLOADS}/audio/{user}/",
        f"{UPLOADS}/video/{user}/",
        f"{PDFS}/{user}/",
        f"{TRANSCRIPTS}/{user}/",
    )


def _document_folder(area: str, user_id: str, document_id: str) -> str:
    return f"{area}/{_segment(user_id, 'user id')}/{_segment(document_id, 'document id')}/"


def _version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidObjectKey(f"A document version must be a positive integer, not {version!r}.")
    return version


def _segment(value: str, what: str) -> str:
    if not value or "/" in value or "\\" in value or value in (".", "..") or _has_control(value):
        raise InvalidObjectKey(f"The {what} {value!r} cannot be part of an object key.")
    return value


def _check_text(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidObjectKey(f"An object {what} must be a non-empty string, not {value!r}.")
    if value.startswith("/"):
        raise InvalidObjectKey(f"Object {what} {value!r} starts with '/'.")
    if "\\" in value:
        raise InvalidObjectKey(f"Object {what} {value!r} contains a backslash.")
    if _has_control(value):
        raise InvalidObjectKey(f"Object {what} {value!r} contains a control character.")
    if len(value.encode()) > _MAX_KEY_BYTES:
        raise InvalidObjectKey(f"Object {what} is longer than {_MAX_KEY_BYTES} bytes.")


def _check_segments(value: str, segments: list[str]) -> None:
    for segment in segments:
        if not segment:
            raise InvalidObjectKey(f"Object key {value!r} has an empty segment ('//').")
        if segment in (".", ".."):
            raise InvalidObjectKey(f"Object key {value!r} contains a {segment!r} segment.")


def _check_area(value: str, area: str, areas: Collection[str]) -> None:
    if area not in areas:
        known = ", ".join(sorted(areas))
        raise InvalidObjectKey(f"Object key {value!r} must start with one of: {known}.")


def _has_control(value: str) -> bool:
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
