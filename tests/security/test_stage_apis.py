"""The stages' own APIs through the edge: a deleted account's still-unexpired token is refused
by every service, and RenderPreview is bounded in size and rate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
import pytest

from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.events.v1 import events_pb2
from speechflow.renderer.v1 import renderer_pb2, renderer_pb2_grpc
from speechflow.transcriber.v1 import transcriber_pb2, transcriber_pb2_grpc
from tests.grpc_helpers import bearer, call_fails, error_info
from tests.security.conftest import PASSWORD, MeshUser, register_through_edge

Code = grpc.StatusCode
# Deletions reach the stages as an event; this bounds the wait, it is not a measurement.
EVENT_CEILING_SECONDS = 30.0


def small_preview(segments: int = 3, text: str = "We agreed to ship on Friday.") -> Any:
    return renderer_pb2.RenderPreviewRequest(
        title="Preview",
        language="en",
        duration_seconds=float(segments),
        transcript=events_pb2.Transcript(
            segments=[
                events_pb2.Segment(start_seconds=i, end_seconds=i + 1, text=text)
                for i in range(segments)
            ]
        ),
    )


async def until_refused(call: Callable[[], Awaitable[Any]]) -> grpc.aio.AioRpcError:
    """Repeats the call until it fails (the deletion event is on its way)."""
    async with asyncio.timeout(EVENT_CEILING_SECONDS):
        while True:
            try:
                await call()
            except grpc.aio.AioRpcError as error:
                return error
            await asyncio.sleep(0.2)


async def test_a_deleted_accounts_token_is_refused_by_the_stage_apis(
    edge_channel: grpc.aio.Channel,
) -> None:
    user = await register_through_edge(edge_channel)
    token = bearer(user.tokens.access_token)
    transcriber = transcriber_pb2_grpc.TranscriberServiceStub(edge_channel)
    renderer = renderer_pb2_grpc.RendererServiceStub(edge_channel)
    await transcriber.GetInfo(transcriber_pb2.GetInfoRequest(), metadata=token)
    await renderer.RenderPreview(small_preview(), metadata=token)

    await auth_pb2_grpc.AuthServiceStub(edge_channel).DeleteAccount(
        auth_pb2.DeleteAccountRequest(password=PASSWORD), metadata=token
    )

    refused = await until_refused(
        lambda: transcriber.GetInfo(transcriber_pb2.GetInfoRequest(), metadata=token)
    )
    assert refused.code() == Code.UNAUTHENTICATED
    assert error_info(refused).reason == "ACCOUNT_DELETED"
    refused = await until_refused(lambda: renderer.RenderPreview(small_preview(), metadata=token))
    assert refused.code() == Code.UNAUTHENTICATED
    assert error_info(refused).reason == "ACCOUNT_DELETED"


@pytest.fixture
async def previewer(edge_channel: grpc.aio.Channel) -> tuple[Any, MeshUser]:
    return renderer_pb2_grpc.RendererServiceStub(edge_channel), await register_through_edge(
        edge_channel
    )


async def test_a_preview_of_too_many_segments_is_invalid_argument(
    previewer: tuple[Any, MeshUser],
) -> None:
    renderer, user = previewer
    refused = await call_fails(
        renderer.RenderPreview(
            small_preview(segments=20_000, text="x"), metadata=bearer(user.tokens.access_token)
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(refused).reason == "TOO_MANY_SEGMENTS"
    assert "at most 5,000 transcript segments" in (refused.details() or "")


async def test_a_preview_of_too_much_text_is_invalid_argument(
    previewer: tuple[Any, MeshUser],
) -> None:
    renderer, user = previewer
    refused = await call_fails(
        renderer.RenderPreview(
            small_preview(segments=100, text="word " * 1_200),
            metadata=bearer(user.tokens.access_token),
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(refused).reason == "PREVIEW_TOO_LONG"


async def test_previews_are_rate_limited_per_user(
    previewer: tuple[Any, MeshUser], edge_channel: grpc.aio.Channel
) -> None:
    renderer, user = previewer
    token = bearer(user.tokens.access_token)
    codes = []
    for _ in range(21):
        try:
            await renderer.RenderPreview(small_preview(segments=1), metadata=token)
            codes.append(Code.OK)
        except grpc.aio.AioRpcError as error:
            codes.append(error.code())
    assert codes[:20] == [Code.OK] * 20
    assert codes[20] == Code.RESOURCE_EXHAUSTED
    # Someone else is not held up by it.
    other = await register_through_edge(edge_channel)
    await renderer.RenderPreview(small_preview(), metadata=bearer(other.tokens.access_token))
