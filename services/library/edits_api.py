"""LibraryService/UpdateTranscript: edits saved as a new transcript revision, then the PDF
rebuilt from it without transcribing again.

Each revision is its own file (`transcript-r{N}.json`, see services/kernel/stage.py) and the
document row names the current one; a version in the pipeline carries the revision it was
made from (`JobContext.transcript_revision`), so a render never mixes two edits. Saving starts
a new document version at rendering with the summary the document has (copied to the new
version's summary file, which is where the renderer looks), or at summarization when asked
to re-summarize or when no summary was written yet."""

from __future__ import annotations

import asyncio
import logging
import re

from google.protobuf import json_format

from services.kernel.errors import Aborted, FailedPrecondition, NotFound, Unavailable
from services.kernel.stage import transcript_revision_key
from services.kernel.storage import ObjectNotFound, ObjectStore, transcript_key
from services.kernel.transcripts import parse_transcript, plain_text, serialize_transcript
from services.library import search_index
from services.library.accounts import active_caller
from services.library.api_base import Context, LibraryBase
from services.library.domain import Stage, Status
from services.library.keyed_locks import KeyedLocks
from services.library.lifecycle.handlers import StartVersion
from services.library.lifecycle.sql import SqlUnitOfWork
from services.library.store import DocumentRow
from services.library.transcript_edits import apply_edits
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.edits")

_SUMMARY_FILE = re.compile(r"summary-v(\d+)\.json")
# Saves of one document's transcript, one at a time in this process: on SQLite (one process)
# this is what keeps two saves of the same revision apart; on PostgreSQL the row lock in
# `_save_revision` does it across replicas too.
_SAVES = KeyedLocks()
STALE_REVISION = "Someone saved another edit first; reload the transcript and edit it again."


async def stored_transcript(store: ObjectStore, document: DocumentRow) -> library_pb2.Transcript:
    """The document's current transcript revision; FAILED_PRECONDITION before transcription."""
    if not document.transcript_key:
        raise FailedPrecondition(
            "The recording is not transcribed yet; the transcript appears when transcription "
            "finishes.",
            reason="NO_TRANSCRIPT",
        )
    try:
        data = await asyncio.to_thread(store.get_bytes, document.transcript_key)
        transcript = parse_transcript(data)
    except (ObjectNotFound, json_format.ParseError) as error:
        raise Unavailable(
            "The stored transcript could not be read; try again shortly.",
            reason="TRANSCRIPT_UNREADABLE",
        ) from error
    transcript.revision = document.transcript_revision
    return transcript


class EditRpcs(LibraryBase):
    async def UpdateTranscript(
        self, request: library_pb2.UpdateTranscriptRequest, context: Context
    ) -> library_pb2.UpdateTranscriptResponse:
        principal = await active_caller(self._db)
        document = await self._owned_document(principal, request.document_id)
        async with _SAVES.hold(document.id):
            edited = await self._update(principal.user_id, document.id, request)
        log.info(
            "transcript edited", extra={"document_id": document.id, "revision": edited.revision}
        )
        return library_pb2.UpdateTranscriptResponse(transcript=edited)

    async def _update(
        self, user_id: str, document_id: str, request: library_pb2.UpdateTranscriptRequest
    ) -> library_pb2.Transcript:
        document = await self._queries.document(document_id)
        if document is None:
            raise NotFound(f"Document {document_id} does not exist.", reason="DOCUMENT_NOT_FOUND")
        if document.status == int(Status.PROCESSING) and document.stage <= int(Stage.TRANSCRIPTION):
            raise FailedPrecondition(
                "The recording is being transcribed; edit the transcript once that finishes.",
                reason="TRANSCRIPTION_RUNNING",
            )
        current = await stored_transcript(self._store, document)
        if request.revision and request.revision != current.revision:
            raise Aborted(STALE_REVISION, reason="STALE_TRANSCRIPT_REVISION")
        edited = apply_edits(current, request.speakers, request.segment_edits)
        if edited is None:
            return current
        if request.resummarize:
            await self._uploads.guard.check_regenerate(user_id)
        edited.revision = current.revision + 1
        await self._save_revision(document.id, current.revision, edited, request.resummarize)
        return edited

    async def _save_revision(
        self,
        document_id: str,
        base_revision: int,
        edited: library_pb2.Transcript,
        resummarize: bool,
    ) -> None:
        """Names the new revision current and starts the version that rebuilds the PDF, in
        one transaction: an edit is never saved without its PDF being rebuilt."""
        async with self._lifecycle.unit(document_id) as unit:
            # The transcript's data is the SQL adapter's: the edit works on the held row.
            assert isinstance(unit, SqlUnitOfWork)
            uow = unit
            held = await uow.documents.get(document_id)
            if held is None:
                raise NotFound(
                    f"Document {document_id} does not exist.", reason="DOCUMENT_NOT_FOUND"
                )
            document = uow.documents.row(document_id)
            if document.transcript_revision != base_revision:
                raise Aborted(STALE_REVISION, reason="STALE_TRANSCRIPT_REVISION")
            # Written only by the one save that holds the row at this revision; if the commit
            # then fails, the next save of this revision number overwrites the file.
            key = transcript_revision_key(document.owner_id, document.id, edited.revision)
            await asyncio.to_thread(
                self._store.put_bytes, key, serialize_transcript(edited), "application/json"
            )
            document.transcript_revision = edited.revision
            document.transcript_key = key
            document.transcript_text = plain_text(edited)
            # In the same transaction, so search never finds words the transcript no longer has.
            await search_index.reindex_transcript(uow.session, document, edited)
            summary = None if resummarize else await self._latest_summary(document)
            stage = Stage.SUMMARIZATION if summary is None else Stage.RENDERING
            if summary is not None:
                # The renderer reads the summary of its own version (the next one).
                new_key = transcript_key(
                    document.owner_id, document.id, f"summary-v{document.version + 1}.json"
                )
                await asyncio.to_thread(self._store.put_bytes, new_key, summary, "application/json")
            # An edit's PDF is no news worth an email.
            await self._lifecycle.start_version_in(
                uow, StartVersion(document_id, stage, notify=False)
            )

    async def _latest_summary(self, document: DocumentRow) -> bytes | None:
        """The newest stored summary of any earlier version, or None if none was written."""
        prefix = transcript_key(document.owner_id, document.id, "x").rsplit("/", 1)[0]

        def newest() -> bytes | None:
            versions = [
                (int(match.group(1)), info.key)
                for info in self._store.list(prefix)
                if (match := _SUMMARY_FILE.fullmatch(info.key.rsplit("/", 1)[-1]))
            ]
            if not versions:
                return None
            return self._store.get_bytes(max(versions)[1])

        return await asyncio.to_thread(newest)
