"""Webhooks through the running mesh: managed over gRPC and REST at the edge, and delivered,
signed the Standard Webhooks way, to a stand-in receiver on loopback when an upload completes
or fails (the mesh allows private targets for it, and retries fast)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
import grpc.aio
import httpx
import pytest
from standardwebhooks import Webhook

from services.mesh.runner import Mesh
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.library.v1 import library_pb2, library_pb2_grpc
from speechflow.notifier.v1 import notifier_pb2 as pb
from speechflow.notifier.v1 import notifier_pb2_grpc
from tests import media
from tests.fixtures.mesh import mesh_settings, running_mesh
from tests.grpc_helpers import call_fails
from tests.notifier.stand_in_webhook_receiver import StandInReceiver, stand_in_receiver

T = TypeVar("T")
SUCCEEDED = pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED
SPEECH = "The budget for the next quarter is approved. Sarah will prepare the hiring plan."


@pytest.fixture(scope="module")
async def webhook_mesh(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Mesh]:
    settings = mesh_settings(tmp_path_factory.mktemp("webhook-mesh"))
    environment = {
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOKS_RETRY_BASE_DELAY_SECONDS": "0.2",
    }
    async for running in running_mesh(settings, environment):
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[StandInReceiver]:
    with stand_in_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(SPEECH, tmp_path_factory.mktemp("speech") / "budget.mp3")


@dataclass
class User:
    token: str
    auth: auth_pb2_grpc.AuthServiceAsyncStub
    metadata: tuple[tuple[str, str], ...]
    notifier: notifier_pb2_grpc.NotifierServiceAsyncStub
    library: library_pb2_grpc.LibraryServiceAsyncStub

    async def create(self, url: str, *events: str) -> pb.Webhook:
        response = await self.notifier.CreateWebhook(
            pb.CreateWebhookRequest(webhook=pb.Webhook(url=url, events=events)),
            metadata=self.metadata,
        )
        return response.webhook

    async def deliveries(self, webhook_id: str) -> list[pb.WebhookDelivery]:
        response = await self.notifier.ListWebhookDeliveries(
            pb.ListWebhookDeliveriesRequest(webhook_id=webhook_id), metadata=self.metadata
        )
        return list(response.deliveries)

    async def upload(self, path: Path) -> library_pb2.Document:
        data = path.read_bytes()

        async def messages() -> AsyncIterator[library_pb2.UploadDocumentRequest]:
            yield library_pb2.UploadDocumentRequest(
                metadata=library_pb2.UploadMetadata(file_name=path.name, size_bytes=len(data))
            )
            yield library_pb2.UploadDocumentRequest(chunk=data)

        response = await self.library.UploadDocument(messages(), metadata=self.metadata)
        return response.document

    async def status(self, document_id: str) -> int:
        response = await self.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=self.metadata
        )
        return int(response.document.status)


@pytest.fixture
async def sign_up(webhook_mesh: Mesh) -> AsyncIterator[Callable[[], Awaitable[User]]]:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{webhook_mesh.settings.envoy_port}")
    auth = auth_pb2_grpc.AuthServiceStub(channel)

    async def make() -> User:
        registered = await auth.Register(
            auth_pb2.RegisterRequest(
                email=f"w-{uuid.uuid4().hex[:8]}@example.com", password="correct horse battery"
            )
        )
        token = registered.tokens.access_token
        return User(
            token=token,
            auth=auth,  # type: ignore[arg-type]
            metadata=(("authorization", f"Bearer {token}"),),
            notifier=notifier_pb2_grpc.NotifierServiceStub(channel),  # type: ignore[arg-type]
            library=library_pb2_grpc.LibraryServiceStub(channel),  # type: ignore[arg-type]
        )

    yield make
    await channel.close()


async def eventually(probe: Callable[[], Awaitable[T | None]], polls: int = 1200) -> T:
    """The probe's first non-None answer (polled every 0.25 s)."""
    for _ in range(polls):
        answer = await probe()
        if answer is not None:
            return answer
        await asyncio.sleep(0.25)
    raise AssertionError("the expected state was never reached")


async def test_webhooks_are_managed_over_grpc_and_rest_and_only_by_their_owner(
    webhook_mesh: Mesh, sign_up: Callable[[], Awaitable[User]], receiver: StandInReceiver
) -> None:
    alice, bob = await sign_up(), await sign_up()
    created = await alice.create(receiver.url("crud"), "document.failed")
    assert created.secret.startswith("whsec_")
    assert list(created.events) == ["document.failed"]

    edge = f"http://127.0.0.1:{webhook_mesh.settings.envoy_port}"
    async with httpx.AsyncClient(
        base_url=edge, headers={"authorization": f"Bearer {alice.token}"}
    ) as rest:
        listed = (await rest.get("/api/v1/webhooks")).json()["webhooks"]
        assert [(w["id"], w.get("secret", "")) for w in listed] == [(created.id, "")]
        patched = await rest.patch(
            f"/api/v1/webhooks/{created.id}?updateMask=description",
            json={"description": "CI"},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["webhook"]["description"] == "CI"
        refused = await rest.post("/api/v1/webhooks", json={"url": "gopher://example.com"})
        assert refused.status_code == 400
        assert "http://" in refused.json()["message"]

    get = pb.GetWebhookRequest(webhook_id=created.id)
    await call_fails(bob.notifier.GetWebhook(get, metadata=bob.metadata), grpc.StatusCode.NOT_FOUND)
    await call_fails(
        bob.notifier.DeleteWebhook(
            pb.DeleteWebhookRequest(webhook_id=created.id), metadata=bob.metadata
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await alice.notifier.DeleteWebhook(
        pb.DeleteWebhookRequest(webhook_id=created.id), metadata=alice.metadata
    )
    await call_fails(
        alice.notifier.GetWebhook(get, metadata=alice.metadata), grpc.StatusCode.NOT_FOUND
    )


async def test_a_deleted_accounts_webhooks_are_removed_with_it(
    webhook_mesh: Mesh, sign_up: Callable[[], Awaitable[User]], receiver: StandInReceiver
) -> None:
    user = await sign_up()
    webhook = await user.create(receiver.url("gone"))
    await user.auth.DeleteAccount(
        auth_pb2.DeleteAccountRequest(password="correct horse battery"), metadata=user.metadata
    )
    database = webhook_mesh.data_dir / "notifier.db"

    def still_stored() -> int:
        with closing(sqlite3.connect(database)) as connection:
            query = "SELECT count(*) FROM webhooks WHERE id = ?"
            return int(connection.execute(query, (webhook.id,)).fetchone()[0])

    async def removed() -> bool | None:
        return True if await asyncio.to_thread(still_stored) == 0 else None

    assert await eventually(removed)


@pytest.mark.slow
async def test_a_completed_upload_is_delivered_once_signed_and_retried_after_a_500(
    sign_up: Callable[[], Awaitable[User]], receiver: StandInReceiver, speech: Path
) -> None:
    user = await sign_up()
    steady_name, flaky_name = f"steady-{uuid.uuid4().hex[:6]}", f"flaky-{uuid.uuid4().hex[:6]}"
    steady = await user.create(receiver.url(steady_name))
    receiver.answer_first(flaky_name, 500)
    flaky = await user.create(receiver.url(flaky_name), "document.completed")
    failed_only = await user.create(receiver.url(f"failed-{steady_name}"), "document.failed")

    document = await user.upload(speech)

    async def settled(webhook_id: str) -> list[pb.WebhookDelivery] | None:
        deliveries = await user.deliveries(webhook_id)
        return deliveries if deliveries and deliveries[0].status == SUCCEEDED else None

    [delivery] = await eventually(lambda: settled(steady.id))
    [retried] = await eventually(lambda: settled(flaky.id))
    assert await user.status(document.id) == library_pb2.DOCUMENT_STATUS_COMPLETED
    assert (delivery.event_type, delivery.document_id, delivery.attempts) == (
        "document.completed",
        document.id,
        1,
    )
    assert (retried.attempts, retried.response_code) == (2, 200)
    assert [d.headers["webhook-id"] for d in receiver.deliveries_to(flaky_name)] == [retried.id] * 2

    # The email's own state changes republish the completed state: still one delivery.
    await asyncio.sleep(2)
    [received] = receiver.deliveries_to(steady_name)
    assert await user.deliveries(failed_only.id) == []
    payload = Webhook(steady.secret).verify(received.body, received.headers)
    assert payload["type"] == "document.completed"
    data = payload["data"]
    assert data["document_id"] == document.id
    assert data["status"] == "COMPLETED"
    assert data["summary"]
    assert data["links"]["document"].endswith(f"/documents/{document.id}")
    assert data["links"]["pdf"].startswith("http")
    with pytest.raises(Exception, match="signature"):
        Webhook(flaky.secret).verify(received.body, received.headers)


@pytest.mark.slow
async def test_a_failed_document_is_delivered_as_document_failed(
    webhook_mesh: Mesh,
    sign_up: Callable[[], Awaitable[User]],
    receiver: StandInReceiver,
    speech: Path,
) -> None:
    user = await sign_up()
    name = f"failures-{uuid.uuid4().hex[:6]}"
    webhook = await user.create(receiver.url(name))
    # As the pipeline's own test does: the stored original is damaged while the
    # transcriber is down, so the job fails at once when it comes back.
    transcriber = webhook_mesh.services["transcriber"]
    await asyncio.to_thread(transcriber.stop)
    try:
        document = await user.upload(speech)
        [stored] = (webhook_mesh.data_dir / "objects" / "uploads").rglob(
            f"{document.id}/original.*"
        )
        stored.write_bytes(b"\x00garbage" * 5000)
    finally:
        await asyncio.to_thread(transcriber.start)

    async def delivered() -> list[pb.WebhookDelivery] | None:
        deliveries = await user.deliveries(webhook.id)
        return deliveries if deliveries and deliveries[0].status == SUCCEEDED else None

    [delivery] = await eventually(delivered)
    assert delivery.event_type == "document.failed"
    [received] = receiver.deliveries_to(name)
    payload = Webhook(webhook.secret).verify(received.body, received.headers)
    assert payload["type"] == "document.failed"
    assert payload["data"]["status"] == "FAILED"
    assert "could not be decoded" in payload["data"]["error"]
