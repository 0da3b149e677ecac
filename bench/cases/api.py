"""Case 7: requests per second and p95 for Login, GetDocument and ListDocuments (first page
of a user's 1,000 documents) with many concurrent clients, straight to the services and
through Envoy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bench.client import PASSWORD, Channels, MeshUser, register_user
from bench.context import BenchContext
from bench.results import CaseResult, Headline
from bench.stats import percentile, ratio
from services.kernel.db import Database, sqlite_url_in
from services.library.domain import Stage, Status
from services.library.store import DocumentRow, new_id
from speechflow.auth.v1 import auth_pb2
from speechflow.library.v1 import library_pb2

PAGE_SIZE = 50
Call = Callable[[MeshUser], Awaitable[object]]


async def seed_documents(context: BenchContext, user: MeshUser, count: int) -> str:
    """Rows straight into the library's database: uploading 1,000 recordings would run
    1,000 pipeline jobs. Returns one document id."""
    db = Database(sqlite_url_in(context.mesh.data_dir, "library"))
    now = datetime.now(UTC)
    ids = [new_id() for _ in range(count)]
    try:
        async with db.session() as session:
            session.add_all(
                DocumentRow(
                    id=document_id,
                    owner_id=user.user_id,
                    owner_email=user.email,
                    owner_name="Bench",
                    title=f"Meeting {index}",
                    original_file_name=f"meeting-{index}.flac",
                    content_type="audio/flac",
                    media_kind="audio",
                    size_bytes=1_000_000,
                    duration_seconds=600.0,
                    status=int(Status.COMPLETED),
                    progress=100,
                    stage=int(Stage.NOTIFICATION),
                    language="en",
                    version=1,
                    key_points=["a key point"],
                    action_items=[],
                    transcript_text="word " * 1500,
                    summary_text="A summary of the meeting. " * 10,
                    original_key=f"uploads/audio/{user.user_id}/{document_id}/original.flac",
                    create_time=now - timedelta(seconds=index),
                    update_time=now - timedelta(seconds=index),
                )
                for index, document_id in enumerate(ids)
            )
    finally:
        await db.dispose()
    return ids[0]


async def hammer(users: list[MeshUser], call: Call, seconds: float) -> tuple[float, float, int]:
    """Every client calls in a loop for `seconds`: (requests/s, p95 ms, errors)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(user: MeshUser) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(user)
            except Exception:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client(u) for u in users))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentile(latencies, 95), errors


def calls(owner: MeshUser, document_id: str) -> dict[str, Call]:
    async def login(user: MeshUser) -> object:
        return await user.auth.Login(auth_pb2.LoginRequest(email=owner.email, password=PASSWORD))

    async def get_document(user: MeshUser) -> object:
        return await user.library.GetDocument(
            library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
        )

    async def list_documents(user: MeshUser) -> object:
        return await user.library.ListDocuments(
            library_pb2.ListDocumentsRequest(page_size=PAGE_SIZE), metadata=user.metadata
        )

    return {"Login": login, "GetDocument": get_document, "ListDocuments": list_documents}


async def run(context: BenchContext) -> list[CaseResult]:
    sizes = context.sizes
    owner = await register_user(context.mesh)
    document_id = await seed_documents(context, owner, sizes.api_documents)
    metrics: dict[str, float] = {}
    rates: dict[tuple[str, str], float] = {}
    try:
        for path, through_envoy in (("direct", False), ("Envoy", True)):
            # One connection per client, all signed in as the owner of the documents.
            clients = [
                MeshUser(
                    owner.email,
                    owner.user_id,
                    owner.access_token,
                    Channels.to(context.mesh, through_envoy=through_envoy),
                )
                for _ in range(sizes.api_clients)
            ]
            try:
                for name, call in calls(owner, document_id).items():
                    rate, p95, errors = await hammer(clients, call, sizes.api_seconds_per_rpc)
                    rates[(name, path)] = rate
                    metrics[f"{name} {path} req/s"] = rate
                    metrics[f"{name} {path} p95 ms"] = p95
                    if errors:
                        metrics[f"{name} {path} errors"] = float(errors)
            finally:
                await asyncio.gather(*(c.close() for c in clients))
    finally:
        await owner.close()
    slowest = min(
        ("Login", "GetDocument", "ListDocuments"),
        key=lambda n: ratio(rates[(n, "Envoy")], rates[(n, "direct")]),
    )
    return [
        CaseResult(
            number=7,
            name="API throughput",
            input=f"{sizes.api_clients} concurrent clients (one connection each, one asyncio "
            f"process) calling one RPC in a loop for {sizes.api_seconds_per_rpc:g} s; "
            f"ListDocuments: first page ({PAGE_SIZE}) of {sizes.api_documents} documents",
            settings={"database": "SQLite", "bcrypt cost": "service default"},
            metrics=metrics,
            headline=Headline(
                f"Envoy vs direct req/s ({slowest}, the most affected)",
                ratio(rates[(slowest, "Envoy")], rates[(slowest, "direct")]),
                "req/s through Envoy",
                "req/s direct",
            ),
            notes="the load generator shares the machine's cores with the services",
        )
    ]
