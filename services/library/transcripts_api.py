"""LibraryService transcript and preferences RPCs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from google.protobuf import json_format

from services.kernel.errors import FailedPrecondition, Unavailable
from services.kernel.storage import ObjectNotFound
from services.kernel.transcripts import parse_transcript
from services.library import domain
from services.library.accounts import active_caller
from services.library.api_base import Context, LibraryBase, masked_or_all
from services.library.store import PreferencesRow
from speechflow.library.v1 import library_pb2

PREFERENCES_MASK_PATHS = {"vocabulary"}


class TranscriptRpcs(LibraryBase):
    async def GetTranscript(
        self, request: library_pb2.GetTranscriptRequest, context: Context
    ) -> library_pb2.GetTranscriptResponse:
        document = await self._owned_document(await active_caller(self._db), request.document_id)
        if not document.transcript_key:
            raise FailedPrecondition(
                "The recording is not transcribed yet; the transcript appears when "
                "transcription finishes.",
                reason="NO_TRANSCRIPT",
            )
        try:
            data = await asyncio.to_thread(self._store.get_bytes, document.transcript_key)
        except ObjectNotFound as error:
            raise Unavailable(
                "The stored transcript could not be read; try again shortly.",
                reason="TRANSCRIPT_UNREADABLE",
            ) from error
        try:
            transcript = parse_transcript(data)
        except json_format.ParseError as error:
            raise Unavailable(
                "The stored transcript is damaged; retry the document's job to transcribe it "
                "again.",
                reason="TRANSCRIPT_UNREADABLE",
            ) from error
        # The summarizer's guesses at who is who, shown beside the names for the user to accept.
        for speaker in transcript.speakers:
            speaker.suggested_name = document.speaker_suggestions.get(speaker.id, "")
        return library_pb2.GetTranscriptResponse(transcript=transcript)

    async def GetPreferences(
        self, request: library_pb2.GetPreferencesRequest, context: Context
    ) -> library_pb2.GetPreferencesResponse:
        principal = await active_caller(self._db)
        row = await self._preferences.get(principal.user_id)
        return library_pb2.GetPreferencesResponse(preferences=_preferences(row))

    async def UpdatePreferences(
        self, request: library_pb2.UpdatePreferencesRequest, context: Context
    ) -> library_pb2.UpdatePreferencesResponse:
        principal = await active_caller(self._db)
        paths = masked_or_all(list(request.update_mask.paths), PREFERENCES_MASK_PATHS)
        vocabulary = domain.clean_vocabulary(list(request.preferences.vocabulary))
        row = await self._preferences.save(
            principal.user_id, vocabulary if "vocabulary" in paths else None, datetime.now(UTC)
        )
        return library_pb2.UpdatePreferencesResponse(preferences=_preferences(row))


def _preferences(row: PreferencesRow | None) -> library_pb2.Preferences:
    return library_pb2.Preferences(vocabulary=list(row.vocabulary) if row is not None else [])
