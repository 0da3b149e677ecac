"""RendererService servicer: the stage's own API, including direct previews."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import grpc.aio
import pypdfium2

from services.kernel.errors import InvalidArgument
from services.kernel.info import CountersInfo
from services.kernel.tokens import current_principal
from services.kernel.transcripts import from_legacy
from services.kernel.worker import JobCounters
from services.renderer.conversion import report_input
from services.renderer.preview_limits import PerUserRateLimit, check_preview_size
from services.renderer.report import render_report, render_thumbnail
from speechflow.events.v1 import events_pb2
from speechflow.renderer.v1 import renderer_pb2, renderer_pb2_grpc


def page_count(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def render_preview(
    request: renderer_pb2.RenderPreviewRequest,
) -> renderer_pb2.RenderPreviewResponse:
    """Blocking: render the PDF, its thumbnail, and count pages."""
    if request.language and request.language.split("-")[0] not in ("en", "fr"):
        raise InvalidArgument(
            f"Language '{request.language}' is not supported; use 'en' or 'fr'.",
            reason="UNSUPPORTED_LANGUAGE",
        )
    if request.duration_seconds < 0:
        raise InvalidArgument("The duration cannot be negative.", reason="NEGATIVE_DURATION")
    # A preview renders as the job of an upload made now would.
    job = events_pb2.JobContext(
        title=request.title,
        original_file_name=request.source_file_name,
        language=request.language,
        duration_seconds=request.duration_seconds,
    )
    job.create_time.GetCurrentTime()
    # The preview request still carries the legacy message: one speaker, no words.
    pdf = render_report(report_input(job, from_legacy(request.transcript), request.summary))
    return renderer_pb2.RenderPreviewResponse(
        pdf=pdf, thumbnail_png=render_thumbnail(pdf), page_count=page_count(pdf)
    )


class RendererServicer(
    CountersInfo[renderer_pb2.GetInfoResponse], renderer_pb2_grpc.RendererServiceServicer
):
    info_type = renderer_pb2.GetInfoResponse

    def __init__(self, counters: JobCounters) -> None:
        super().__init__(counters)
        self._previews = PerUserRateLimit()

    async def RenderPreview(
        self,
        request: renderer_pb2.RenderPreviewRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> renderer_pb2.RenderPreviewResponse:
        check_preview_size(request)  # before counting: a refused request costs nothing
        self._previews.claim(current_principal().user_id)
        return await asyncio.to_thread(render_preview, request)
