"""Byte ranges: the Range header rules, ranged reads on both adapters, inline links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import urllib3

from services.kernel.storage import (
    ByteRange,
    LocalObjectStore,
    ObjectStore,
    content_disposition,
    local_url_signer,
    parse_range,
    upload_key,
    verify_local_link,
)
from tests.kernel.test_storage import s3_store

SECRET = b"0123456789abcdef-range-tests"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
DATA = bytes(range(256)) * 40  # 10,240 bytes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=10240-", None),  # starts past the end
        ("bytes=100-", ByteRange(100, 10239)),
        ("bytes=-100", ByteRange(10140, 10239)),
        ("bytes=-99999", ByteRange(0, 10239)),
        ("bytes=9000-99999", ByteRange(9000, 10239)),
        ("bytes=5-4", None),
        ("bytes=0-1,5-9", None),  # several ranges: the whole file instead
        ("items=0-9", None),
        ("", None),
    ],
)
def test_range_headers(header: str, expected: ByteRange | None) -> None:
    assert parse_range(header, len(DATA)) == expected


def test_a_range_names_itself_as_http_does() -> None:
    assert ByteRange(100, 199).content_range(1000) == "bytes 100-199/1000"
    assert ByteRange(100, 199).length == 100


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path, local_url_signer(SECRET, "http://edge.test/files"))
    return s3_store(request.getfixturevalue("s3_server"))


@pytest.mark.parametrize(("start", "length"), [(0, 10), (1000, 5000), (10000, 240), (7, 0)])
def test_ranged_reads_return_exactly_those_bytes(
    store: ObjectStore, start: int, length: int
) -> None:
    key = upload_key("audio", "u-range", "doc1", "wav")
    store.put_bytes(key, DATA, "audio/wav")

    with store.iter_chunks(key, chunk_size=1000, start=start, length=length) as chunks:
        read = b"".join(chunks)

    assert read == DATA[start : start + length]


def test_a_read_from_an_offset_to_the_end(store: ObjectStore) -> None:
    key = upload_key("audio", "u-range", "doc2", "wav")
    store.put_bytes(key, DATA, "audio/wav")

    assert b"".join(store.iter_chunks(key, start=10000)) == DATA[10000:]


def test_inline_links_say_inline_and_attachment_stays_the_default(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path, local_url_signer(SECRET, "http://edge.test/files"))
    key = upload_key("audio", "u-range", "doc3", "wav")

    viewing = store.presigned_get_url(key, timedelta(hours=1), "talk.wav", inline=True)
    saving = store.presigned_get_url(key, timedelta(hours=1), "talk.wav")

    assert verify_local_link(SECRET, viewing.split("token=")[1], datetime.now(UTC)).inline
    assert not verify_local_link(SECRET, saving.split("token=")[1], datetime.now(UTC)).inline
    assert content_disposition("a.pdf", inline=True).startswith('inline; filename="a.pdf"')
    assert content_disposition("a.pdf").startswith('attachment; filename="a.pdf"')


def test_seaweedfs_answers_range_on_an_inline_presigned_link(s3_server: object) -> None:
    store = s3_store(s3_server)  # type: ignore[arg-type]
    key = upload_key("audio", "u-range", "doc4", "wav")
    store.put_bytes(key, DATA, "audio/wav")
    url = store.presigned_get_url(key, timedelta(minutes=5), "talk.wav", inline=True)

    response = urllib3.PoolManager().request("GET", url, headers={"Range": "bytes=100-199"})

    assert response.status == 206
    assert response.data == DATA[100:200]
    assert response.headers["content-range"] == f"bytes 100-199/{len(DATA)}"
    assert response.headers["content-disposition"].startswith("inline;")
