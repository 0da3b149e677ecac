"""DeletedAccounts against a real NATS server: a service learns the deletions made before it
started (replayed from auth's stream) and those made while it runs, and its token verifier
refuses those users."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auth.keys import AccessTokenIssuer, public_pem
from services.kernel.accounts import DeletedAccounts
from services.kernel.catalogue import USER_DELETED
from services.kernel.errors import Unauthenticated
from services.kernel.jetstream import EventBus, producer_stream
from services.kernel.tokens import Role, TokenVerifier
from services.mesh.nats_server import NatsServer
from speechflow.events.v1 import events_pb2

# How long a published deletion may take to arrive; a ceiling, not a measurement.
ARRIVAL_CEILING_SECONDS = 10.0


@pytest.fixture
async def auth_bus(nats_server: NatsServer) -> AsyncIterator[EventBus]:
    bus = await EventBus.connect(nats_server.url, source="auth")
    await bus.ensure_streams([producer_stream("auth")])
    yield bus
    await bus.close()


async def delete_user(bus: EventBus) -> str:
    user_id = str(uuid.uuid4())
    await bus.publish(USER_DELETED, events_pb2.UserDeleted(user_id=user_id))
    return user_id


async def until_known(deleted: DeletedAccounts, user_id: str) -> None:
    async with asyncio.timeout(ARRIVAL_CEILING_SECONDS):
        while True:
            if user_id in deleted:
                return
            await asyncio.sleep(0.05)


async def test_deletions_before_and_after_start_are_known_and_their_tokens_refused(
    auth_bus: EventBus, nats_server: NatsServer
) -> None:
    before = await delete_user(auth_bus)
    stage_bus = await EventBus.connect(nats_server.url, source="renderer")
    deleted = DeletedAccounts()
    try:
        deleted.follow(stage_bus)
        await until_known(deleted, before)
        after = await delete_user(auth_bus)
        await until_known(deleted, after)

        key = Ed25519PrivateKey.generate()
        issuer = AccessTokenIssuer(
            key=key, issuer="speechflow-auth", audience="speechflow", ttl=timedelta(minutes=15)
        )
        verifier = TokenVerifier(
            issuer="speechflow-auth",
            audience="speechflow",
            public_key_pem=public_pem(key),
            deleted_accounts=deleted,
        )

        def token(user_id: str) -> str:
            issued, _ = issuer.issue(
                user_id=user_id,
                email="a@example.com",
                name="A",
                role=Role.USER,
                now=datetime.now(UTC),
            )
            return issued

        for gone in (before, after):
            with pytest.raises(Unauthenticated) as refused:
                verifier.verify(token(gone))
            assert refused.value.reason == "ACCOUNT_DELETED"
        active = str(uuid.uuid4())
        assert verifier.verify(token(active)).user_id == active
    finally:
        await deleted.stop()
        await stage_bus.close()
