"""Both object-store adapters pass one behaviour suite: local disk and a real S3 server.

S3 runs on the session's SeaweedFS server, which checks signatures like MinIO does. Every
test writes under its own random user id, so tests never see each other's objects.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import urllib3
from pydantic import ValidationError

from services.kernel.storage import (
    DEFAULT_BUCKETS,
    DEFAULT_CHUNK_SIZE,
    InvalidDownloadToken,
    InvalidObjectKey,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    StorageCredentialsRejected,
    StorageSettings,
    StorageUnavailable,
    content_disposition,
    document_prefixes,
    local_url_signer,
    parse_endpoint,
    pdf_key,
    sign_local_token,
    store_from_settings,
    thumbnail_key,
    upload_key,
    verify_local_token,
)
from services.mesh.processes import free_port
from services.mesh.s3_server import SeaweedS3

SECRET = b"test-download-link-secret-32-bytes!"
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
# Just over 5 MiB: S3 uploads it in parts and the last chunk is a short one.
FILE_SIZE = 5 * 1024 * 1024 + 123


class RecordingSigner:
    """A local-adapter signer that makes real tokens and remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, timedelta, str | None]] = []
        self._sign = local_url_signer(SECRET, "http://library.test/files", clock=lambda: NOW)

    def __call__(
        self, key: str, expires: timedelta, download_name: str | None, *, inline: bool = False
    ) -> str:
        self.calls.append((key, expires, download_name))
        return self._sign(key, expires, download_name, inline=inline)


def fail_fast_http() -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=1, retries=False, timeout=urllib3.Timeout(5.0))


def s3_store(
    server: SeaweedS3,
    *,
    public_endpoint: str | None = None,
    buckets: Mapping[str, str] = DEFAULT_BUCKETS,
) -> S3ObjectStore:
    return S3ObjectStore(
        server.endpoint,
        server.access_key,
        server.secret_key,
        buckets=buckets,
        public_endpoint=public_endpoint,
        http_client=fail_fast_http(),
    )


@pytest.fixture
def signer() -> RecordingSigner:
    return RecordingSigner()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, signer: RecordingSigner) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects", signer)
    server: SeaweedS3 = request.getfixturevalue("s3_server")
    return s3_store(server)


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "recording.mp3"
    path.write_bytes(os.urandom(FILE_SIZE))
    return path


# --- the shared behaviour suite ----------------------------------------------------------


def test_file_round_trips_through_get_bytes_and_chunks(
    store: ObjectStore, user: str, big_file: Path
) -> None:
    key = upload_key("audio", user, "doc1", "mp3")

    store.put_file(key, big_file, "audio/mpeg")

    original = big_file.read_bytes()
    assert store.get_bytes(key) == original
    chunks = list(store.iter_chunks(key))
    assert b"".join(chunks) == original
    assert [len(chunk) for chunk in chunks] == [DEFAULT_CHUNK_SIZE] * 5 + [123]


def test_stat_reports_size_content_type_and_aware_time(store: ObjectStore, user: str) -> None:
    key = pdf_key(user, "doc1", 1)

    store.put_bytes(key, b"%PDF-1.7 tiny", "application/pdf")

    info = store.stat(key)
    assert info is not None
    assert (info.key, info.size, info.content_type) == (key, 13, "application/pdf")
    assert info.last_modified.tzinfo is not None


def test_put_replaces_an_existing_object_and_its_type(store: ObjectStore, user: str) -> None:
    key = f"temp/{user}/transcript.json"
    store.put_bytes(key, b"old", "text/plain")

    store.put_bytes(key, b'{"new": true}', "application/json")

    assert store.get_bytes(key) == b'{"new": true}'
    info = store.stat(key)
    assert info is not None
    assert info.content_type == "application/json"


def test_missing_object_has_no_stat_and_cannot_be_read(store: ObjectStore, user: str) -> None:
    key = pdf_key(user, "absent", 1)

    assert store.stat(key) is None
    with pytest.raises(ObjectNotFound):
        store.get_bytes(key)
    # Raised by the call itself, before anyone iterates.
    with pytest.raises(ObjectNotFound):
        store.iter_chunks(key)


def test_stream_stopped_early_is_released_and_store_keeps_working(
    store: ObjectStore, user: str, big_file: Path
) -> None:
    key = upload_key("video", user, "doc1", "mp4")
    store.put_file(key, big_file, "video/mp4")

    for _ in range(3):  # more streams than a leaked connection or file would allow quietly
        with store.iter_chunks(key, chunk_size=1000) as stream:
            assert len(next(stream)) == 1000
        assert stream.closed
        assert list(stream) == []

    assert store.get_bytes(key) == big_file.read_bytes()


def test_stream_closes_itself_when_exhausted(store: ObjectStore, user: str) -> None:
    key = pdf_key(user, "doc1", 1)
    store.put_bytes(key, b"abcdefg", "application/pdf")

    stream = store.iter_chunks(key, chunk_size=3)

    assert list(stream) == [b"abc", b"def", b"g"]
    assert stream.closed


def test_list_yields_objects_of_the_folder_in_key_order(store: ObjectStore, user: str) -> None:
    keys = [
        f"pdfs/{user}/doc2/document.pdf",
        f"pdfs/{user}/doc1/thumbnail.png",
        f"pdfs/{user}/doc1/document.pdf",
        # Shares the string prefix `pdfs/{user}` but is another user's folder.
        f"pdfs/{user}0/doc1/document.pdf",
    ]
    for index, key in enumerate(keys):
        store.put_bytes(key, b"x" * index, "application/octet-stream")

    in_doc1 = list(store.list(f"pdfs/{user}/doc1/"))
    in_user = [info.key for info in store.list(f"pdfs/{user}")]

    assert [(info.key, info.size) for info in in_doc1] == [
        (f"pdfs/{user}/doc1/document.pdf", 2),
        (f"pdfs/{user}/doc1/thumbnail.png", 1),
    ]
    assert all(info.last_modified.tzinfo is not None for info in in_doc1)
    assert in_user == sorted(keys[:3])
    assert list(store.list(f"transcripts/{user}/")) == []


def test_delete_is_idempotent(store: ObjectStore, user: str) -> None:
    key = pdf_key(user, "doc1", 1)
    store.put_bytes(key, b"pdf", "application/pdf")

    store.delete(key)
    store.delete(key)

    assert store.stat(key) is None
    assert list(store.list(f"pdfs/{user}/")) == []


def test_delete_prefix_removes_only_that_folder_and_counts(store: ObjectStore, user: str) -> None:
    doomed = [pdf_key(user, "doc1", 1), f"pdfs/{user}/doc1/thumbnail.png"]
    kept = [pdf_key(user, "doc2", 1), pdf_key(f"{user}0", "doc1", 1)]
    for key in doomed + kept:
        store.put_bytes(key, b"data", "application/pdf")

    assert store.delete_prefix(f"pdfs/{user}/doc1") == 2
    assert store.delete_prefix(f"pdfs/{user}/doc1") == 0

    assert [store.stat(key) for key in doomed] == [None, None]
    assert all(store.stat(key) is not None for key in kept)


def test_every_folder_of_a_document_can_be_deleted(store: ObjectStore, user: str) -> None:
    keys = [
        upload_key("audio", user, "doc1", "wav"),
        pdf_key(user, "doc1", 1),
        f"transcripts/{user}/doc1/transcript.json",
    ]
    for key in keys:
        store.put_bytes(key, b"data", "application/octet-stream")

    deleted = sum(store.delete_prefix(prefix) for prefix in document_prefixes(user, "doc1"))

    assert deleted == 3
    assert all(store.stat(key) is None for key in keys)


BAD_KEYS = [
    "uploads/../pdfs/u/d/document.pdf",
    "pdfs/u/./d/document.pdf",
    "/pdfs/u/d/document.pdf",
    "pdfs//d/document.pdf",
    "pdfs\\u\\d\\document.pdf",
    "pdfs/u/d/",
    "pdfs",
    "secrets/u/d/document.pdf",
    "pdfs/u/d/document.pdf\n",
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_their_folder_are_rejected(store: ObjectStore, key: str) -> None:
    attempts: list[Callable[[], object]] = [
        lambda: store.put_bytes(key, b"x", "text/plain"),
        lambda: store.get_bytes(key),
        lambda: store.iter_chunks(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.presigned_get_url(key, timedelta(minutes=5)),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidObjectKey):
            attempt()
    assert issubclass(InvalidObjectKey, ValueError)


@pytest.mark.parametrize("prefix", ["", "/pdfs/", "pdfs/../uploads/", "pdfs//", "nowhere/"])
def test_prefixes_that_could_escape_are_rejected(store: ObjectStore, prefix: str) -> None:
    with pytest.raises(InvalidObjectKey):
        store.delete_prefix(prefix)
    with pytest.raises(InvalidObjectKey):
        list(store.list(prefix))


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(days=8)])
def test_download_links_outside_s3_lifetime_limits_are_refused(
    store: ObjectStore, user: str, lifetime: timedelta
) -> None:
    with pytest.raises(ValueError, match="between 1 s and 7 days"):
        store.presigned_get_url(pdf_key(user, "doc1", 1), lifetime)


# --- S3 adapter --------------------------------------------------------------------------


def test_s3_presigned_get_downloads_the_bytes_under_the_download_name(
    s3_server: SeaweedS3, user: str
) -> None:
    store = s3_store(s3_server)
    key = pdf_key(user, "doc1", 1)
    store.put_bytes(key, b"%PDF-1.7 report", "application/pdf")

    url = store.presigned_get_url(key, timedelta(hours=1), "Réunion du lundi.pdf")
    response = httpx.get(url)

    assert response.status_code == HTTPStatus.OK
    assert response.content == b"%PDF-1.7 report"
    assert response.headers["content-disposition"] == content_disposition("Réunion du lundi.pdf")


def test_s3_streams_return_their_connection_even_when_stopped_early(
    s3_server: SeaweedS3, user: str, big_file: Path
) -> None:
    http = fail_fast_http()
    store = S3ObjectStore(
        s3_server.endpoint, s3_server.access_key, s3_server.secret_key, http_client=http
    )
    key = upload_key("audio", user, "doc1", "mp3")
    store.put_file(key, big_file, "audio/mpeg")
    pool = http.connection_from_url(s3_server.url)
    opened_before = pool.num_connections

    for _ in range(3):
        stream = store.iter_chunks(key)
        next(stream)
        stream.close()
    assert len(store.get_bytes(key)) == FILE_SIZE

    # A stream that kept its connection would force the pool to open a new one each time.
    assert pool.num_connections == opened_before


def test_s3_objects_are_private_without_a_signature(s3_server: SeaweedS3, user: str) -> None:
    store = s3_store(s3_server)
    key = pdf_key(user, "doc1", 1)
    store.put_bytes(key, b"%PDF-1.7", "application/pdf")

    anonymous = httpx.get(f"{s3_server.url}/pdfs/{user}/doc1/pdf-v1.pdf")

    assert anonymous.status_code == HTTPStatus.FORBIDDEN


def test_s3_links_for_a_public_endpoint_are_signed_for_that_host(
    s3_server: SeaweedS3, user: str
) -> None:
    # `localhost` reaches the same server as 127.0.0.1 but is a different Host header, so
    # the download only works if the link was signed for the public host.
    public = f"http://localhost:{s3_server.s3_port}"
    store = s3_store(s3_server, public_endpoint=public)
    key = pdf_key(user, "doc1", 1)
    store.put_bytes(key, b"%PDF-1.7 public", "application/pdf")

    url = store.presigned_get_url(key, timedelta(minutes=10))

    assert urlsplit(url).netloc == f"localhost:{s3_server.s3_port}"
    assert httpx.get(url).content == b"%PDF-1.7 public"


def test_s3_links_for_an_https_public_endpoint_need_no_network(user: str) -> None:
    # Neither endpoint exists: signing must not contact either.
    store = S3ObjectStore(
        f"127.0.0.1:{free_port()}",
        "access",
        "secret",
        public_endpoint="https://files.speechflow.test",
        http_client=fail_fast_http(),
    )

    url = urlsplit(store.presigned_get_url(pdf_key(user, "doc1", 1), timedelta(hours=1), "a.pdf"))

    assert (url.scheme, url.netloc) == ("https", "files.speechflow.test")
    assert url.path == f"/pdfs/{user}/doc1/pdf-v1.pdf"
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["3600"]
    assert "us-east-1" in query["X-Amz-Credential"][0]
    assert unquote(query["response-content-disposition"][0]) == content_disposition("a.pdf")


def test_s3_wrong_secret_fails_with_a_clear_error(s3_server: SeaweedS3, user: str) -> None:
    store = S3ObjectStore(
        s3_server.endpoint,
        s3_server.access_key,
        "not-the-real-secret",
        http_client=fail_fast_http(),
    )

    with pytest.raises(StorageCredentialsRejected, match="S3_SECRET_KEY") as raised:
        store.put_bytes(pdf_key(user, "doc1", 1), b"x", "application/pdf")
    assert raised.value.reason == "STORAGE_CREDENTIALS_REJECTED"
    # A rejected HEAD must not pass for "no such object".
    with pytest.raises(StorageCredentialsRejected):
        store.stat(pdf_key(user, "doc1", 1))


def test_s3_unreachable_server_is_reported_unavailable(user: str) -> None:
    store = S3ObjectStore(
        f"127.0.0.1:{free_port()}", "access", "secret", http_client=fail_fast_http()
    )

    with pytest.raises(StorageUnavailable) as raised:
        store.get_bytes(pdf_key(user, "doc1", 1))
    assert raised.value.reason == "STORAGE_UNAVAILABLE"


def test_s3_creates_its_private_buckets_on_first_use(s3_server: SeaweedS3, user: str) -> None:
    suffix = uuid.uuid4().hex[:10]
    buckets = {area: f"{area}-{suffix}" for area in ("uploads", "pdfs", "temp", "transcripts")}
    store = s3_store(s3_server, buckets=buckets)
    admin = s3_server.client()
    assert not admin.bucket_exists(buckets["pdfs"])

    store.put_bytes(pdf_key(user, "doc1", 1), b"%PDF", "application/pdf")

    assert all(admin.bucket_exists(bucket) for bucket in buckets.values())
    assert admin.stat_object(buckets["pdfs"], f"{user}/doc1/pdf-v1.pdf").size == 4
    store.ensure_buckets()  # idempotent


# --- local adapter -----------------------------------------------------------------------


def test_local_download_link_comes_from_the_injected_signer(
    tmp_path: Path, signer: RecordingSigner, user: str
) -> None:
    store = LocalObjectStore(tmp_path, signer)
    key = pdf_key(user, "doc1", 1)

    url = store.presigned_get_url(key, timedelta(hours=1), "Réunion.pdf")

    assert signer.calls == [(key, timedelta(hours=1), "Réunion.pdf")]
    assert url.startswith("http://library.test/files?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert verify_local_token(SECRET, token, NOW) == (key, "Réunion.pdf")


def test_local_writes_leave_no_partial_files_behind(
    tmp_path: Path, signer: RecordingSigner, user: str, big_file: Path
) -> None:
    store = LocalObjectStore(tmp_path / "objects", signer)

    store.put_file(upload_key("audio", user, "doc1", "mp3"), big_file, "audio/mpeg")
    store.put_bytes(pdf_key(user, "doc1", 1), b"%PDF", "application/pdf")

    assert list((tmp_path / "objects" / ".partial").iterdir()) == []
    assert big_file.exists()  # copied, not moved: the caller owns its file


def test_local_delete_prunes_empty_folders(
    tmp_path: Path, signer: RecordingSigner, user: str
) -> None:
    root = tmp_path / "objects"
    store = LocalObjectStore(root, signer)
    store.put_bytes(pdf_key(user, "doc1", 1), b"%PDF", "application/pdf")

    store.delete(pdf_key(user, "doc1", 1))

    assert not (root / "pdfs" / user).exists()
    assert not (root / ".meta" / "pdfs" / user).exists()


def test_local_store_refuses_paths_through_a_symlink_out_of_its_root(
    tmp_path: Path, signer: RecordingSigner
) -> None:
    root, outside = tmp_path / "objects", tmp_path / "outside"
    (root / "pdfs").mkdir(parents=True)
    outside.mkdir()
    (root / "pdfs" / "mallory").symlink_to(outside)
    store = LocalObjectStore(root, signer)

    with pytest.raises(PermissionError):
        store.put_bytes("pdfs/mallory/doc1/document.pdf", b"x", "application/pdf")
    assert list(outside.iterdir()) == []


# --- signed local download tokens --------------------------------------------------------


def test_local_token_round_trips_key_and_download_name() -> None:
    token = sign_local_token(SECRET, "pdfs/u1/d1/document.pdf", NOW + timedelta(hours=1), None)

    assert verify_local_token(SECRET, token, NOW) == ("pdfs/u1/d1/document.pdf", None)
    assert all(char.isalnum() or char in "-_." for char in token)


def test_expired_local_token_is_rejected() -> None:
    token = sign_local_token(SECRET, "pdfs/u1/d1/document.pdf", NOW, "a.pdf")

    with pytest.raises(InvalidDownloadToken, match="expired"):
        verify_local_token(SECRET, token, NOW)
    assert verify_local_token(SECRET, token, NOW - timedelta(seconds=1))[0].startswith("pdfs/")


def test_tampered_local_token_is_rejected() -> None:
    token = sign_local_token(SECRET, "pdfs/u1/d1/document.pdf", NOW + timedelta(hours=1), None)
    payload, mac = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["k"] = "pdfs/u2/d1/document.pdf"
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()

    with pytest.raises(InvalidDownloadToken, match="not genuine"):
        verify_local_token(SECRET, f"{forged_payload}.{mac}", NOW)
    with pytest.raises(InvalidDownloadToken):
        verify_local_token(b"another-secret-of-enough-length", token, NOW)


@pytest.mark.parametrize("garbage", ["", "no-dot", "a.b", "é.é", "....", "x" * 50 + "."])
def test_malformed_local_token_is_rejected(garbage: str) -> None:
    with pytest.raises(InvalidDownloadToken):
        verify_local_token(SECRET, garbage, NOW)


def test_local_tokens_need_aware_times_and_a_real_secret() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_local_token(SECRET, "pdfs/u/d/x", datetime(2030, 1, 1), None)
    with pytest.raises(ValueError, match="16 bytes"):
        sign_local_token(b"short", "pdfs/u/d/x", NOW, None)


# --- keys, endpoints and settings --------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["", "..", "a/b", "a\\b", "."])
def test_key_builders_refuse_ids_that_are_not_one_segment(bad_id: str) -> None:
    with pytest.raises(InvalidObjectKey):
        pdf_key(bad_id, "doc1", 1)
    with pytest.raises(InvalidObjectKey):
        upload_key("audio", "u1", bad_id, "mp3")


def test_key_builders_follow_the_documented_layout() -> None:
    assert upload_key("video", "u1", "d1", ".MP4") == "uploads/video/u1/d1/original.mp4"
    assert pdf_key("u1", "d1", 1) == "pdfs/u1/d1/pdf-v1.pdf"
    assert thumbnail_key("u1", "d1", 3) == "pdfs/u1/d1/thumbnail-v3.png"
    assert document_prefixes("u1", "d1")[-1] == "temp/d1/"


@pytest.mark.parametrize("bad_version", [0, -1, True])
def test_report_keys_need_the_document_version_they_belong_to(bad_version: int) -> None:
    with pytest.raises(InvalidObjectKey):
        pdf_key("u1", "d1", bad_version)
    with pytest.raises(InvalidObjectKey):
        thumbnail_key("u1", "d1", bad_version)


@pytest.mark.parametrize(
    ("endpoint", "secure", "expected"),
    [
        ("minio:9000", False, ("minio:9000", False)),
        ("minio:9000", True, ("minio:9000", True)),
        ("http://minio:9000", True, ("minio:9000", False)),
        ("https://files.example.com/", False, ("files.example.com", True)),
    ],
)
def test_endpoints_may_be_host_port_or_url(
    endpoint: str, secure: bool, expected: tuple[str, bool]
) -> None:
    assert parse_endpoint(endpoint, secure) == expected


def test_endpoint_with_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="path"):
        parse_endpoint("https://example.com/storage", False)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("S3_", "STORAGE_")) or name == "DATA_DIR":
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_default_to_local_files_under_the_data_dir(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("DATA_DIR", str(tmp_path))

    settings = StorageSettings(_env_file=None)  # type: ignore[call-arg]
    store = store_from_settings(settings)

    assert isinstance(store, LocalObjectStore)
    assert store.root == tmp_path / "objects"
    with pytest.raises(RuntimeError, match="signer"):
        store.presigned_get_url("pdfs/u/d/document.pdf", timedelta(hours=1))


def test_settings_select_s3_from_the_environment(
    clean_env: pytest.MonkeyPatch, s3_server: SeaweedS3, user: str
) -> None:
    clean_env.setenv("STORAGE_BACKEND", "s3")
    clean_env.setenv("S3_ENDPOINT", s3_server.url)
    clean_env.setenv("S3_ACCESS_KEY", s3_server.access_key)
    clean_env.setenv("S3_SECRET_KEY", s3_server.secret_key)
    clean_env.setenv("S3_PUBLIC_ENDPOINT", "https://files.speechflow.test")
    clean_env.setenv("S3_BUCKET_PDFS", f"pdfs-{user}")

    settings = StorageSettings(_env_file=None)  # type: ignore[call-arg]
    store = store_from_settings(settings)
    store.put_bytes(pdf_key(user, "doc1", 1), b"%PDF", "application/pdf")

    assert isinstance(store, S3ObjectStore)
    assert s3_server.client().stat_object(f"pdfs-{user}", f"{user}/doc1/pdf-v1.pdf").size == 4
    link = store.presigned_get_url(pdf_key(user, "doc1", 1), timedelta(hours=1))
    assert urlsplit(link).netloc == "files.speechflow.test"


def test_s3_settings_without_credentials_are_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STORAGE_BACKEND", "s3")

    with pytest.raises(ValidationError, match="S3_SECRET_KEY"):
        StorageSettings(_env_file=None)  # type: ignore[call-arg]
