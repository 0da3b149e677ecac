"""The body of a webhook delivery: a Standard Webhooks event `{type, timestamp, data}` whose
data is what a receiver needs without calling back — the summary, the action items, the
decisions and links to the document page and its PDF."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.protobuf import json_format

from services.kernel.links import document_url
from services.kernel.stage import summary_object_key
from services.kernel.storage import ObjectStore, pdf_key
from services.notifier.webhooks.book import DOCUMENT_COMPLETED
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2


@dataclass(frozen=True)
class DocumentOutcome:
    """A document version that completed or failed, as `document.changed` says it."""

    event_type: str
    document_id: str
    owner_id: str
    version: int
    status: str
    # The library's status line (e.g. "Transcription failed").
    message: str
    time: datetime


@dataclass(frozen=True, eq=False)
class PayloadBuilder:
    store: ObjectStore
    public_base_url: str
    # How long the PDF link in a payload works.
    link_ttl: timedelta

    async def build(self, outcome: DocumentOutcome) -> str:
        data: dict[str, object] = {
            "document_id": outcome.document_id,
            "version": outcome.version,
            "status": outcome.status,
            "title": "",
            "links": {"document": document_url(self.public_base_url, outcome.document_id)},
        }
        if outcome.event_type == DOCUMENT_COMPLETED:
            data |= await self._completed_data(outcome)
        else:
            data["error"] = outcome.message
        body = {"type": outcome.event_type, "timestamp": outcome.time.isoformat(), "data": data}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    async def _completed_data(self, outcome: DocumentOutcome) -> dict[str, object]:
        job = events_pb2.JobContext(
            owner_id=outcome.owner_id, document_id=outcome.document_id, version=outcome.version
        )
        summary = events_pb2.Summary()
        key = summary_object_key(job)
        if await asyncio.to_thread(self.store.stat, key) is not None:
            raw = await asyncio.to_thread(self.store.get_bytes, key)
            summary = json_format.Parse(raw, events_pb2.Summary(), ignore_unknown_fields=True)
        pdf_url = await asyncio.to_thread(
            self.store.presigned_get_url,
            pdf_key(outcome.owner_id, outcome.document_id, outcome.version),
            self.link_ttl,
            f"{summary.title or 'report'}.pdf",
        )
        return {
            "title": summary.title,
            "language": summary.language,
            "summary": summary.summary,
            "action_items": [
                {"text": item.text, "owner": item.owner, "due": item.due}
                for item in summary.action_items
            ],
            "decisions": list(summary.decisions),
            "links": {
                "document": document_url(self.public_base_url, outcome.document_id),
                "pdf": pdf_url,
            },
        }


def status_name(status: int) -> str:
    """`COMPLETED` for DOCUMENT_STATUS_COMPLETED."""
    return library_pb2.DocumentStatus.Name(status).removeprefix("DOCUMENT_STATUS_")  # type: ignore[arg-type]
