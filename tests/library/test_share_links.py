"""Share links: the owner creates, lists and revokes read-only links; anyone with the token
reads that one document (no account) until it expires, is revoked or the document goes."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import select, update

from services.kernel.errors import ResourceExhausted
from services.library.share_links_store import ShareLinkRow
from services.library.share_links_throttle import ClientThrottle
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2
from tests.grpc_helpers import call_fails, error_info
from tests.library.conftest import LibraryHarness, User
from tests.library.test_access import drain
from tests.library.test_edits import finished_document

Code = grpc.StatusCode
GONE = "This share link has expired or was revoked."
NO_AUTH: tuple[tuple[str, str], ...] = ()


def ttl(days: float) -> Duration:
    value = Duration()
    value.FromTimedelta(timedelta(days=days))
    return value


async def share(
    lib: LibraryHarness, user: User, document_id: str, **fields: object
) -> library_pb2.ShareLink:
    response = await lib.library.CreateShareLink(
        library_pb2.CreateShareLinkRequest(document_id=document_id, **fields),  # type: ignore[arg-type]
        metadata=user.metadata,
    )
    return response.share_link


def token_of(link: library_pb2.ShareLink) -> str:
    path = urlsplit(link.url).path
    assert path.startswith("/s/"), link.url
    return path.removeprefix("/s/")


async def shared(
    lib: LibraryHarness, token: str, metadata: tuple[tuple[str, str], ...] = NO_AUTH
) -> library_pb2.GetSharedDocumentResponse:
    return await lib.library.GetSharedDocument(
        library_pb2.GetSharedDocumentRequest(token=token), metadata=metadata
    )


async def shared_is_gone(lib: LibraryHarness, token: str) -> None:
    error = await call_fails(shared(lib, token), Code.NOT_FOUND)
    assert error.details() == GONE


async def shared_txt(lib: LibraryHarness, token: str) -> bytes:
    bodies = await drain(
        lib.library.ExportSharedDocumentContent(
            library_pb2.ExportSharedDocumentContentRequest(token=token, format="txt")
        )
    )
    return b"".join(body.data for body in bodies)


@pytest.mark.asyncio
async def test_a_share_link_opens_the_document_transcript_and_summary_without_an_account(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    link = await share(lib, owner, document.id)

    assert link.url.startswith(f"{lib.settings.public_base_url}/s/")
    assert len(token_of(link)) >= 43  # 32 random bytes
    expires = link.expire_time.ToDatetime(UTC) - link.create_time.ToDatetime(UTC)
    assert expires == timedelta(days=7)
    opened = await shared(lib, token_of(link))
    assert opened.document.title == document.title
    assert opened.document.status == library_pb2.DOCUMENT_STATUS_COMPLETED
    assert opened.document.summary.text == document.summary.text
    assert [s.display_name for s in opened.transcript.speakers] == ["Speaker 1", "Speaker 2"]
    assert opened.transcript.segments[0].text == "I will send the budget."
    assert b"I will send the budget." in await shared_txt(lib, token_of(link))
    exported = await drain(
        lib.library.ExportSharedDocument(
            library_pb2.ExportSharedDocumentRequest(
                token=token_of(link), format=library_pb2.EXPORT_FORMAT_SRT
            )
        )
    )
    assert exported[0].file_name.endswith(".srt")
    original = await lib.library.GetSharedDownloadUrl(
        library_pb2.GetSharedDownloadUrlRequest(
            token=token_of(link), kind=library_pb2.FILE_KIND_ORIGINAL
        )
    )
    assert original.url
    assert original.expire_time.ToDatetime(UTC) <= link.expire_time.ToDatetime(UTC)


@pytest.mark.asyncio
async def test_the_token_is_stored_only_as_its_hash_and_listed_without_the_url(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    link = await share(lib, owner, document.id, ttl=ttl(1))
    token = token_of(link)

    async with lib.app.parts["db"].session() as session:
        row = await session.get(ShareLinkRow, link.id)
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(row, c.key) for c in ShareLinkRow.__table__.columns])
    await shared(lib, token)
    listed = await lib.library.ListShareLinks(
        library_pb2.ListShareLinksRequest(document_id=document.id), metadata=owner.metadata
    )
    assert [(s.id, s.url, s.revoked) for s in listed.share_links] == [(link.id, "", False)]
    assert listed.share_links[0].HasField("last_use_time")


@pytest.mark.asyncio
async def test_revoking_ends_access_at_once_with_the_same_answer_as_an_unknown_token(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    kept, revoked = await share(lib, owner, document.id), await share(lib, owner, document.id)
    await shared(lib, token_of(revoked))

    answer = await lib.library.RevokeShareLink(
        library_pb2.RevokeShareLinkRequest(share_link_id=revoked.id), metadata=owner.metadata
    )

    assert answer.share_link.revoked
    await shared_is_gone(lib, token_of(revoked))
    await call_fails(shared_txt(lib, token_of(revoked)), Code.NOT_FOUND)
    unknown = await call_fails(shared(lib, "x" * 43), Code.NOT_FOUND)
    assert error_info(unknown).reason == "SHARE_LINK_NOT_FOUND"
    assert (await shared(lib, token_of(kept))).document.title == document.title


@pytest.mark.asyncio
async def test_an_expired_link_is_refused(lib: LibraryHarness, speech_wav: Path) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    link = await share(lib, owner, document.id)
    await shared(lib, token_of(link))

    # As if its time had passed.
    async with lib.app.parts["db"].session() as session:
        await session.execute(
            update(ShareLinkRow)
            .where(ShareLinkRow.id == link.id)
            .values(expire_time=datetime.now(UTC) - timedelta(seconds=1))
        )

    await shared_is_gone(lib, token_of(link))


@pytest.mark.asyncio
async def test_deleting_the_document_ends_its_links_and_their_rows(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    link = await share(lib, owner, document.id)

    await lib.library.DeleteDocument(
        library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=owner.metadata
    )

    await shared_is_gone(lib, token_of(link))
    async with lib.app.parts["db"].session() as session:
        rows = list(await session.scalars(select(ShareLinkRow)))
    assert rows == []


@pytest.mark.asyncio
async def test_deleting_the_account_ends_its_links(lib: LibraryHarness, speech_wav: Path) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    token = token_of(await share(lib, owner, document.id))

    await lib.bus.publish(
        "speechflow.auth.v1.user.deleted",
        events_pb2.UserDeleted(user_id=owner.id),
        event_id=f"deleted-{owner.id}",
    )

    for _ in range(200):
        async with lib.app.parts["db"].session() as session:
            if not list(await session.scalars(select(ShareLinkRow))):
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the account's share links were not deleted")

    await shared_is_gone(lib, token)


@pytest.mark.asyncio
async def test_another_users_document_and_links_are_not_found(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner, intruder = lib.user(), lib.user()
    document = await finished_document(lib, owner, speech_wav)
    link = await share(lib, owner, document.id)

    for call in (
        lib.library.CreateShareLink(
            library_pb2.CreateShareLinkRequest(document_id=document.id),
            metadata=intruder.metadata,
        ),
        lib.library.ListShareLinks(
            library_pb2.ListShareLinksRequest(document_id=document.id),
            metadata=intruder.metadata,
        ),
        lib.library.RevokeShareLink(
            library_pb2.RevokeShareLinkRequest(share_link_id=link.id), metadata=intruder.metadata
        ),
    ):
        error = await call_fails(call, Code.NOT_FOUND)
        assert "does not exist" in (error.details() or "")
    assert (await shared(lib, token_of(link))).document.title == document.title


@pytest.mark.asyncio
@pytest.mark.parametrize("days", [91, -1, 0.0001])
async def test_a_ttl_outside_one_minute_to_ninety_days_is_invalid(
    lib: LibraryHarness, speech_wav: Path, days: float
) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)

    error = await call_fails(share(lib, owner, document.id, ttl=ttl(days)), Code.INVALID_ARGUMENT)

    assert "90 days" in (error.details() or "")
    listed = await lib.library.ListShareLinks(
        library_pb2.ListShareLinksRequest(document_id=document.id), metadata=owner.metadata
    )
    assert list(listed.share_links) == []


@pytest.mark.asyncio
@pytest.mark.library_settings(share_link_reads_per_minute=3)
async def test_shared_reads_are_rate_limited_per_client_address(
    lib: LibraryHarness, speech_wav: Path
) -> None:
    owner = lib.user()
    document = await finished_document(lib, owner, speech_wav)
    token = token_of(await share(lib, owner, document.id))
    # The edge names the client's address; the test talks to the library from loopback.
    first = (("x-speechflow-client-address", "203.0.113.7"),)
    second = (("x-speechflow-client-address", "203.0.113.8"),)

    for _ in range(3):
        await shared(lib, token, first)
    error = await call_fails(shared(lib, token, first), Code.RESOURCE_EXHAUSTED)
    # Guessing tokens counts too: the limit is reached before any lookup.
    await call_fails(shared(lib, "guess", first), Code.RESOURCE_EXHAUSTED)

    assert int(error_info(error).metadata["retry_after_seconds"]) >= 1
    assert (await shared(lib, token, second)).document.title == document.title


def test_a_client_may_read_again_once_its_minute_has_passed() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    throttle = ClientThrottle(2, timedelta(minutes=1), clock=lambda: now)
    throttle.claim("198.51.100.1")
    throttle.claim("198.51.100.1")
    with pytest.raises(ResourceExhausted) as refused:
        throttle.claim("198.51.100.1")
    assert refused.value.metadata["retry_after_seconds"] == "60"

    now += timedelta(minutes=1)

    throttle.claim("198.51.100.1")
