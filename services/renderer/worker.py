"""Render jobs: the library's `render.requested` -> transcript + summary from storage -> PDF
report and thumbnail in storage -> `document.rendered`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from services.kernel import catalogue
from services.kernel.jetstream import ReceivedEvent
from services.kernel.stage import StageWorker, event_id, job_context, summary_object_key
from services.kernel.storage import pdf_key, thumbnail_key, transcript_key
from services.renderer.api import page_count
from services.renderer.conversion import report_input
from services.renderer.report import render_report, render_thumbnail
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.renderer")
M = TypeVar("M", bound=Message)


def rendered_marker(job: events_pb2.JobContext) -> str:
    """Written last, so its presence means this version's PDF and thumbnail are stored."""
    return transcript_key(job.owner_id, job.document_id, f"rendered-v{job.version}.json")


class RenderWorker(StageWorker):
    async def handle(self, event: ReceivedEvent) -> None:
        job = job_context(event)
        marker = rendered_marker(job)
        pdf, thumbnail = (
            pdf_key(job.owner_id, job.document_id, job.version),
            thumbnail_key(job.owner_id, job.document_id, job.version),
        )
        stored = await self._stored(marker)
        if stored is not None:
            pages = int(json.loads(stored)["pages"])
        else:
            summary = await self._summary(job)
            transcript = await self._job_transcript(job)
            document, image, pages = await asyncio.to_thread(_render, job, transcript, summary)
            if not await self._versions.still_current(job, before="storing the PDF"):
                return
            await asyncio.to_thread(self._store.put_bytes, pdf, document, "application/pdf")
            await asyncio.to_thread(self._store.put_bytes, thumbnail, image, "image/png")
            await asyncio.to_thread(
                self._store.put_bytes,
                marker,
                json.dumps({"pages": pages}).encode(),
                "application/json",
            )
            log.info("rendered", extra={"document_id": job.document_id, "pages": pages})
        await self._bus.publish(
            catalogue.DOCUMENT_RENDERED,
            events_pb2.DocumentRendered(
                job=job, pdf_key=pdf, thumbnail_key=thumbnail, page_count=pages
            ),
            event_id=event_id(job, "rendered"),
        )

    async def _summary(self, job: events_pb2.JobContext) -> events_pb2.Summary:
        # The library names this version's summary, stored by the summarizer (or copied by
        # an edit's re-render); events carry references, not the summary.
        key = job.summary_key or summary_object_key(job)
        return await self._load(key, events_pb2.Summary())

    async def _load(self, key: str, message: M) -> M:
        data = await asyncio.to_thread(self._store.get_bytes, key)
        return json_format.Parse(data, message)


def _render(
    job: events_pb2.JobContext, transcript: library_pb2.Transcript, summary: events_pb2.Summary
) -> tuple[bytes, bytes, int]:
    document = render_report(report_input(job, transcript, summary))
    return document, render_thumbnail(document), page_count(document)
