"""Objects in S3 (MinIO in production, SeaweedFS in tests): one private bucket per area.

The first key segment picks the bucket and the rest is the object name, so
`pdfs/u1/d1/document.pdf` is object `u1/d1/document.pdf` in bucket `pdfs`.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error, ServerError

from services.kernel.storage.errors import (
    ObjectNotFound,
    StorageCredentialsRejected,
    StorageUnavailable,
)
from services.kernel.storage.keys import DEFAULT_AREAS, split_key, validate_key, validate_prefix
from services.kernel.storage.model import (
    ObjectInfo,
    ObjectStore,
    ObjectStream,
    content_disposition,
)

DEFAULT_BUCKETS: Mapping[str, str] = {area: area for area in DEFAULT_AREAS}

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"})
# AccessDenied is also what a HEAD with a bad signature yields (it has no body to say more).
_REJECTED_CODES = frozenset({"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"})
_ALREADY_THERE_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
# S3 DeleteObjects takes at most 1000 keys per request.
_DELETE_BATCH = 1000

_T = TypeVar("_T")


class S3ObjectStore(ObjectStore):
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        buckets: Mapping[str, str] = DEFAULT_BUCKETS,
        public_endpoint: str | None = None,
        http_client: urllib3.PoolManager | None = None,
    ) -> None:
        """`endpoint` is `host:port` (TLS from `secure`) or a URL (`http://minio:9000`,
        TLS from the scheme). `public_endpoint` is where browsers reach the same server;
        download links are signed for that host."""
        host, use_tls = parse_endpoint(endpoint, secure)
        self._buckets = dict(buckets)
        if not self._buckets:
            raise ValueError("S3ObjectStore needs at least one area -> bucket mapping.")

        def client(address: str, tls: bool, pool: urllib3.PoolManager | None = None) -> Minio:
            # An explicit region spares minio a GetBucketLocation call before each request.
            return Minio(
                address,
                access_key=access_key,
                secret_key=secret_key,
                secure=tls,
                region=region,
                http_client=pool,
            )

        self._client = client(host, use_tls, http_client)
        self._signer = self._client
        if public_endpoint is not None:
            # Signing is local arithmetic with the region given: this client never connects.
            self._signer = client(*parse_endpoint(public_endpoint, secure))
        self._buckets_ready = False
        self._buckets_lock = threading.Lock()

    def ensure_buckets(self) -> None:
        """Creates the (private) buckets that do not exist yet; safe to call concurrently."""
        for bucket in self._buckets.values():
            with _storage_errors(bucket):
                if self._client.bucket_exists(bucket):
                    continue
                try:
                    self._client.make_bucket(bucket)
                except S3Error as exc:
                    if exc.code not in _ALREADY_THERE_CODES:
                        raise

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> None:
        bucket, name = self._locate(key)
        self._call(
            key, lambda: self._client.fput_object(bucket, name, os.fspath(path), content_type)
        )

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        bucket, name = self._locate(key)
        self._call(
            key,
            lambda: self._client.put_object(
                bucket, name, io.BytesIO(data), len(data), content_type
            ),
        )

    def get_bytes(self, key: str) -> bytes:
        bucket, name = self._locate(key)
        response = self._call(key, lambda: self._client.get_object(bucket, name))
        try:
            with _storage_errors(key):
                return response.read()
        finally:
            response.close()
            response.release_conn()

    def _open_chunks(
        self, key: str, chunk_size: int, start: int, length: int | None
    ) -> ObjectStream:
        bucket, name = self._locate(key)
        if length == 0:
            return ObjectStream(lambda: b"", lambda: None)
        # minio sends `Range: bytes=start-(start+length-1)`; length 0 there means "to the end".
        response = self._call(
            key,
            lambda: self._client.get_object(bucket, name, offset=start, length=length or 0),
        )

        def read_chunk() -> bytes:
            with _storage_errors(key):
                return response.read(chunk_size)

        def release() -> None:
            # Closing first drops a half-read connection instead of returning it to the
            # pool with unread bytes in it.
            response.close()
            response.release_conn()

        return ObjectStream(read_chunk, release)

    def stat(self, key: str) -> ObjectInfo | None:
        bucket, name = self._locate(key)
        try:
            found = self._call(key, lambda: self._client.stat_object(bucket, name))
        except ObjectNotFound:
            return None
        if found.size is None or found.last_modified is None:
            raise StorageUnavailable(f"File storage returned an incomplete answer for {key!r}.")
        return ObjectInfo(
            key=key,
            size=found.size,
            content_type=found.content_type or "application/octet-stream",
            last_modified=found.last_modified,
        )

    def delete(self, key: str) -> None:
        bucket, name = self._locate(key)
        # S3 already answers 204 for a missing key; a missing bucket means the same.
        with suppress(ObjectNotFound):
            self._call(key, lambda: self._client.remove_object(bucket, name))

    def delete_prefix(self, prefix: str) -> int:
        folder = validate_prefix(prefix, self._buckets)
        area, _ = split_key(folder)
        bucket = self._buckets[area]
        deleted = 0
        batch: list[str] = []
        for info in self.list(folder):
            batch.append(split_key(info.key)[1])
            if len(batch) == _DELETE_BATCH:
                deleted += self._delete_batch(prefix, bucket, batch)
                batch = []
        if batch:
            deleted += self._delete_batch(prefix, bucket, batch)
        return deleted

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        folder = validate_prefix(prefix, self._buckets)
        area, name_prefix = split_key(folder)
        self._ready()
        with _storage_errors(prefix):
            for found in self._client.list_objects(
                self._buckets[area], prefix=name_prefix or None, recursive=True
            ):
                if found.is_dir or found.object_name is None:
                    continue
                if found.size is None or found.last_modified is None:
                    continue
                yield ObjectInfo(
                    key=f"{area}/{found.object_name}",
                    size=found.size,
                    content_type=None,
                    last_modified=found.last_modified,
                )

    def _signed_url(
        self, key: str, expires: timedelta, download_name: str | None, inline: bool
    ) -> str:
        bucket, name = self._locate(key)
        headers: dict[str, str | list[str] | tuple[str]] | None = (
            None
            if download_name is None
            else {"response-content-disposition": content_disposition(download_name, inline=inline)}
        )
        with _storage_errors(key):
            return self._signer.presigned_get_object(
                bucket, name, expires=expires, response_headers=headers
            )

    def _delete_batch(self, prefix: str, bucket: str, names: Sequence[str]) -> int:
        def remove() -> int:
            # remove_objects is lazy: the request happens while its errors are iterated.
            failures = list(
                self._client.remove_objects(bucket, (DeleteObject(name) for name in names))
            )
            if failures:
                first = failures[0]
                raise StorageUnavailable(
                    f"File storage could not delete {len(failures)} object(s) under "
                    f"{prefix!r} (first: {first.name!r}, {first.code})."
                )
            return len(names)

        return self._call(prefix, remove)

    def _locate(self, key: str) -> tuple[str, str]:
        area, name = split_key(validate_key(key, self._buckets))
        return self._buckets[area], name

    def _call(self, key: str, operation: Callable[[], _T]) -> _T:
        self._ready()
        with _storage_errors(key):
            return operation()

    def _ready(self) -> None:
        if self._buckets_ready:
            return
        with self._buckets_lock:
            if not self._buckets_ready:
                self.ensure_buckets()
                self._buckets_ready = True


def parse_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """`host:port` keeps `secure`; `http://host:port` or `https://…` decide it themselves."""
    if "://" not in endpoint:
        return endpoint, secure
    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError(f"S3 endpoint {endpoint!r} must be host:port or an http(s) URL.")
    if url.path not in ("", "/") or url.query or url.fragment:
        raise ValueError(f"S3 endpoint {endpoint!r} cannot have a path: S3 needs the host root.")
    return url.netloc, url.scheme == "https"


@contextmanager
def _storage_errors(key: str) -> Iterator[None]:
    """minio and urllib3 failures as the kernel's storage errors."""
    try:
        yield
    except S3Error as exc:
        if exc.code in _NOT_FOUND_CODES:
            raise ObjectNotFound(key) from exc
        if exc.code in _REJECTED_CODES:
            raise StorageCredentialsRejected(
                f"File storage rejected this service's credentials ({exc.code}): "
                "check S3_ACCESS_KEY and S3_SECRET_KEY."
            ) from exc
        raise
    except (ServerError, urllib3.exceptions.HTTPError) as exc:
        raise StorageUnavailable(
            "File storage is unreachable right now; please try again shortly."
        ) from exc
