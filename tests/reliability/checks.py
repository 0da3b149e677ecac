"""What "nothing was lost" means for one document: it completed, its PDF downloads, exactly
one PDF object exists and its owner got exactly one email, once the pipeline is quiet."""

from __future__ import annotations

import asyncio

import nats
from nats.js.errors import NotFoundError
from pydantic import SecretStr

from bench.client import MeshUser
from bench.journey import emails_to
from services.kernel import catalogue
from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests.reliability.ledger import LEDGER

# The pipeline's stages; a crashed worker's job waits in one of its catalogue inputs.
STAGES = catalogue.STAGE_SERVICES
POLL_SECONDS = 0.1
QUIET_TIMEOUT_SECONDS = 60


def mesh_store(mesh: Mesh) -> ObjectStore:
    """The object store the mesh's services write to (local disk, or its seaweedfs)."""
    environment = mesh.backing.environment if mesh.backing else {}
    if environment.get("STORAGE_BACKEND") != "s3":
        return store_from_settings(StorageSettings(data_dir=mesh.data_dir))
    return store_from_settings(
        StorageSettings(
            storage_backend="s3",
            data_dir=mesh.data_dir,
            s3_endpoint=environment["S3_ENDPOINT"],
            s3_access_key=environment["S3_ACCESS_KEY"],
            s3_secret_key=SecretStr(environment["S3_SECRET_KEY"]),
        )
    )


async def consumer_backlog(mesh: Mesh, stage: str) -> tuple[int, int]:
    """(messages waiting, messages handed out and not yet acknowledged) over every input
    of the stage."""
    assert mesh.nats is not None
    client = await nats.connect(mesh.nats.url)
    waiting = held = 0
    try:
        for consumer in catalogue.stage_inputs(stage):
            try:
                info = await client.jetstream().consumer_info(consumer.stream, consumer.durable)
            except NotFoundError:
                continue  # not declared yet: nothing waits in it
            waiting += int(info.num_pending or 0)
            held += int(info.num_ack_pending or 0)
        return waiting, held
    finally:
        await client.close()


async def wait_until_pipeline_quiet(mesh: Mesh) -> None:
    """Every stage's input drained and acknowledged: no redelivery can still come."""
    async with asyncio.timeout(QUIET_TIMEOUT_SECONDS):
        while True:
            backlogs = [await consumer_backlog(mesh, stage) for stage in STAGES]
            if all(b == (0, 0) for b in backlogs):
                return
            await asyncio.sleep(POLL_SECONDS)


async def wait_for_email(mesh: Mesh, address: str, count: int = 1) -> None:
    """Until the notifier's outbox holds `count` emails to `address` (files: polled)."""
    async with asyncio.timeout(QUIET_TIMEOUT_SECONDS):
        while True:
            if emails_to(mesh, address) >= count:
                return
            await asyncio.sleep(POLL_SECONDS)


async def wait_completed(user: MeshUser, document_id: str) -> None:
    """Until the document's current version completes (it must not fail)."""
    states = await user.watch_to_end(document_id)
    assert states[-1].status == library_pb2.DOCUMENT_STATUS_COMPLETED, states[-1].message


async def assert_completed(user: MeshUser, document_id: str) -> None:
    await wait_completed(user, document_id)
    LEDGER.completed()


async def assert_delivered_once(mesh: Mesh, user: MeshUser, document_id: str) -> None:
    await assert_completed(user, document_id)
    pdf = await user.download(document_id, library_pb2.FILE_KIND_PDF)
    assert pdf.startswith(b"%PDF")
    await wait_for_email(mesh, user.email)
    await wait_until_pipeline_quiet(mesh)
    pdfs = [o.key for o in mesh_store(mesh).list(f"pdfs/{user.user_id}/{document_id}/")]
    assert len([key for key in pdfs if key.endswith(".pdf")]) == 1, pdfs
    assert emails_to(mesh, user.email) == 1
