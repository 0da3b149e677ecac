"""NATS refuses anonymous clients, and each service's user may publish only its own events:
the attack of issue 19 (an anonymous `user.deleted` for a victim wiped their documents) fails,
even from inside the mesh with a stolen notifier login."""

from __future__ import annotations

import asyncio

import nats
import pytest
from nats.errors import Error as NatsError
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from bench.client import register_user
from services.kernel import catalogue
from services.kernel.catalogue import USER_DELETED
from services.kernel.jetstream import producer_stream
from services.kernel.stage import stage_consumer
from services.mesh.nats_auth import ServiceBusUse, permissions_for, service_bus_uses
from services.mesh.runner import Mesh
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

VIOLATION_TIMEOUT_SECONDS = 10


async def test_an_anonymous_client_is_refused(mesh: Mesh) -> None:
    assert mesh.nats is not None
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(
            mesh.nats.address, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=5
        )


async def test_the_notifier_user_cannot_publish_a_user_deletion(mesh: Mesh) -> None:
    assert mesh.nats is not None
    victim = await register_user(mesh, name="Victim")
    try:
        created = await victim.library.CreateFolder(
            library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name="Board meetings")),
            metadata=victim.metadata,
        )
        violations: asyncio.Queue[Exception] = asyncio.Queue()

        async def on_error(error: Exception) -> None:
            await violations.put(error)

        notifier = await nats.connect(
            mesh.nats.url_for(mesh.nats_credentials["notifier"]), error_cb=on_error
        )
        try:
            forged = events_pb2.UserDeleted(user_id=victim.user_id).SerializeToString()
            await notifier.publish(USER_DELETED, forged)
            await notifier.flush()
            async with asyncio.timeout(VIOLATION_TIMEOUT_SECONDS):
                violation = await violations.get()
        finally:
            await notifier.close()
        assert "permissions violation" in str(violation).lower()
        # The forged event never entered the stream the library consumes, so nothing can
        # act on it; the victim still has their folder.
        assert victim.user_id not in await deleted_user_ids(mesh)
        folders = await victim.library.ListFolders(
            library_pb2.ListFoldersRequest(), metadata=victim.metadata
        )
        assert created.folder.id in {f.id for f in folders.folders}
    finally:
        await victim.close()


async def deleted_user_ids(mesh: Mesh) -> set[str]:
    """Every `user.deleted` in auth's stream, read as the mesh operator."""
    assert mesh.nats is not None
    client = await nats.connect(mesh.nats.url)
    try:
        js = client.jetstream()
        try:
            info = await js.stream_info(producer_stream("auth").name)
        except NotFoundError:
            return set()
        if not info.state.messages:
            return set()
        subscription = await js.subscribe(
            USER_DELETED, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        found: set[str] = set()
        try:
            while True:
                try:
                    message = await subscription.next_msg(timeout=1)
                except TimeoutError:
                    return found
                found.add(events_pb2.UserDeleted.FromString(message.data).user_id)
                if message.metadata.num_pending == 0:
                    return found
        finally:
            await subscription.unsubscribe()
    finally:
        await client.close()


def test_a_stage_may_pull_only_its_declared_inputs() -> None:
    uses = {use.name: use for use in service_bus_uses()}
    notifier = permissions_for(uses["notifier"])
    pulls = {p for p in notifier.publish if ".CONSUMER.MSG.NEXT." in p}
    assert pulls == {
        f"$JS.API.CONSUMER.MSG.NEXT.{c.stream}.{c.durable}" for c in uses["notifier"].consumers
    }
    assert "$JS.API.CONSUMER.MSG.NEXT.SPEECHFLOW_AUTH.library-auth-events" not in notifier.publish
    assert not [p for p in notifier.publish if p.startswith("speechflow.auth.")]
    assert notifier.subscribe == ("_INBOX_notifier.>",)


def test_a_new_stage_input_is_granted_without_editing_the_permissions() -> None:
    extra = stage_consumer(
        catalogue.Consumer("renderer-from-auth", "renderer", catalogue.AUTH, (USER_DELETED,))
    )
    granted = permissions_for(ServiceBusUse("renderer", consumers=[extra]))
    assert f"$JS.API.CONSUMER.MSG.NEXT.{extra.stream}.{extra.durable}" in granted.publish
    assert f"$JS.ACK.{extra.stream}.{extra.durable}.>" in granted.publish
