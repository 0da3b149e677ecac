"""Turning received bytes into a document: spool to disk, validate, store, commit.

Bytes are spooled to a file (never held in memory) because sniffing and measuring the media
needs random access; the object and the row are only created once everything checked out,
so a rejected or aborted upload leaves neither behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from services.kernel.db import Database
from services.kernel.errors import InvalidArgument, NotFound
from services.kernel.outbox import Outbox
from services.kernel.storage import ObjectStore, upload_key
from services.kernel.tokens import Principal
from services.library import domain, search_index, summaries
from services.library.domain import SummaryLength
from services.library.lifecycle.sql import accept_upload
from services.library.limits import LimitGuard
from services.library.media import MediaInfo, probe
from services.library.store import (
    DocumentRow,
    FolderRow,
    PreferencesRow,
    UploadSessionRow,
    new_id,
)
from services.library.summarizer_info import SummaryTranslation
from services.library.templates import owned_template
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.uploads")

MAX_REQUEST_ID_LENGTH = 100


def clean_request_id(request_id: str) -> str | None:
    """The AIP-155 request id as stored (trimmed, bounded); None when the client sent none."""
    return request_id.strip()[:MAX_REQUEST_ID_LENGTH] or None


def owner_columns(principal: Principal) -> dict[str, str]:
    """Who owns a row the caller creates (a document, an upload session)."""
    return {
        "owner_id": principal.user_id,
        "owner_email": principal.email,
        "owner_name": principal.name,
    }


@dataclass(frozen=True)
class ValidUpload:
    """Upload metadata after validation."""

    file_name: str
    size_bytes: int
    folder_id: str | None
    title: str
    language: str
    summary_length: SummaryLength
    request_id: str | None
    hotwords: str = ""
    min_speakers: int = 0
    max_speakers: int = 0
    summary_language: str = ""
    summary_template_id: str = ""
    summary_instructions: str = ""
    title_is_user_given: bool = False

    @property
    def size_known(self) -> bool:
        return self.size_bytes > 0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "summary_length": int(self.summary_length)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidUpload:
        # Sessions opened before the later fields existed lack them: those keep their defaults.
        known = {field.name for field in fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        return cls(**{**values, "summary_length": SummaryLength(values["summary_length"])})

    def document_columns(self) -> dict[str, Any]:
        """The document row's columns the upload decides, by the row's names (the size is
        the one the stored bytes turn out to have, not the declared one)."""
        columns = self.as_json()
        columns["original_file_name"] = columns.pop("file_name")
        del columns["size_bytes"]
        return columns


@dataclass(kw_only=True, eq=False)
class Uploads:
    """Validates an upload, spools its bytes under `spool_dir` and turns them into a document."""

    db: Database
    store: ObjectStore
    outbox: Outbox
    spool_dir: Path
    max_bytes: int
    max_duration_seconds: float
    guard: LimitGuard
    translation: SummaryTranslation

    def __post_init__(self) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    async def validate(
        self,
        principal: Principal,
        metadata: library_pb2.UploadMetadata,
        *,
        size_optional: bool = False,
    ) -> ValidUpload:
        """`size_optional`: raw HTTP uploads may not say their size; 0 then means unknown and
        only the limit applies."""
        file_name = domain.sanitize_file_name(metadata.file_name)
        if metadata.size_bytes < 0 or (metadata.size_bytes == 0 and not size_optional):
            raise InvalidArgument(
                "Send the file's size in bytes (size_bytes) with the metadata; empty files "
                "cannot be processed.",
                reason="SIZE_REQUIRED",
            )
        self.check_size(metadata.size_bytes)
        await self.guard.check_upload(principal.user_id, metadata.size_bytes)
        min_speakers, max_speakers = domain.check_speaker_bounds(
            metadata.min_speakers, metadata.max_speakers
        )
        hotwords = domain.clean_hotwords(metadata.hotwords)
        folder_id = domain.check_id(metadata.folder_id, "folder_id") if metadata.folder_id else None
        if folder_id is not None:
            async with self.db.session() as session:
                folder = await session.get(FolderRow, folder_id)
            if folder is None or folder.owner_id != principal.user_id:
                raise NotFound(f"Folder {folder_id} does not exist.", reason="FOLDER_NOT_FOUND")
        language = domain.check_language(metadata.language, allow_detect=True)
        summary_language = await self.check_summary_language(
            summaries.clean_summary_language(metadata.summary_language), language
        )
        template = (
            await owned_template(self.db, principal, metadata.summary_template_id)
            if metadata.summary_template_id
            else None
        )
        return ValidUpload(
            file_name=file_name,
            size_bytes=metadata.size_bytes,
            folder_id=folder_id,
            title=domain.clean_title(metadata.title, file_name),
            language=language,
            summary_length=domain.check_summary_length(
                metadata.summary_length, default=SummaryLength.MEDIUM
            ),
            request_id=clean_request_id(metadata.request_id),
            hotwords=domain.merged_hotwords(hotwords, await self._vocabulary(principal.user_id)),
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            summary_language=summary_language,
            summary_template_id=template.id if template is not None else "",
            summary_instructions=template.instructions if template is not None else "",
            title_is_user_given=bool(domain.clean_title(metadata.title, "")),
        )

    async def check_summary_language(self, summary_language: str, recording_language: str) -> str:
        """`summary_language`, unless writing it means translating and no summarizer
        provider can (FAILED_PRECONDITION: never a summary labelled in one language and
        written in another)."""
        if (
            summaries.needs_translation(summary_language, recording_language)
            and not await self.translation.available()
        ):
            raise summaries.refuse_translation(summary_language, recording_language)
        return summary_language

    async def _vocabulary(self, user_id: str) -> list[str]:
        async with self.db.session() as session:
            preferences = await session.get(PreferencesRow, user_id)
        return list(preferences.vocabulary) if preferences is not None else []

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise InvalidArgument(
                f"The file is larger than the {domain.human_bytes(self.max_bytes)} limit.",
                reason="FILE_TOO_LARGE",
                metadata={"max_bytes": str(self.max_bytes)},
            )

    def new_spool_path(self) -> Path:
        return self.spool_dir / f"{new_id()}.part"

    async def spool(self, upload: ValidUpload, chunks: AsyncIterator[bytes], path: Path) -> None:
        """Writes the stream to `path`, enforcing the declared size and the limit as bytes
        arrive; the caller removes `path` whatever happens."""
        received = 0
        with path.open("wb") as out:
            async for chunk in chunks:
                received += len(chunk)
                self.check_size(received)
                if upload.size_known and received > upload.size_bytes:
                    raise InvalidArgument(
                        f"More bytes arrived than the declared size of {upload.size_bytes}.",
                        reason="SIZE_MISMATCH",
                    )
                await asyncio.to_thread(out.write, chunk)
        check_complete(upload, received)

    async def existing(self, principal: Principal, request_id: str | None) -> DocumentRow | None:
        """The document an earlier request with the same request_id created (AIP-155): asked
        first, before limits and before any bytes are spooled, so a retry after a lost reply
        is answered with that document even when a new upload would be refused."""
        if request_id is None:
            return None
        async with self.db.session() as session:
            return await session.scalar(
                select(DocumentRow).where(
                    DocumentRow.owner_id == principal.user_id,
                    DocumentRow.request_id == request_id,
                )
            )

    async def finished(self, principal: Principal, upload_id: str) -> DocumentRow | None:
        """The document a finished resumable upload became (it takes the upload's id)."""
        async with self.db.session() as session:
            document = await session.get(DocumentRow, upload_id)
        return document if document is not None and document.owner_id == principal.user_id else None

    async def accept(
        self,
        principal: Principal,
        upload: ValidUpload,
        spool: Path,
        *,
        finishing_session_id: str | None = None,
    ) -> DocumentRow:
        """Sniffs, stores and commits; on any failure nothing is left behind. Every way in
        (streamed, raw body, resumable) ends here, so the media checks live in one place.

        A resumable upload's document takes the session's id, so a `FinishUpload` retried
        after its reply was lost finds the document the session became."""
        info = await asyncio.to_thread(probe, spool, max_duration_seconds=self.max_duration_seconds)
        size = (await asyncio.to_thread(spool.stat)).st_size
        if not upload.size_known:  # raw HTTP uploads learn their size only now
            await self.guard.check_upload(principal.user_id, size)
        document_id = finishing_session_id or new_id()
        key = upload_key(info.kind, principal.user_id, document_id, info.extension)
        try:
            await asyncio.to_thread(self.store.put_file, key, spool, info.content_type)
            document = await self._commit(
                principal, upload, info, document_id, key, size, finishing_session_id
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.delete, key)
            raise
        self.outbox.notify()
        log.info("document uploaded", extra={"document_id": document_id, "bytes": size})
        return document

    async def _commit(
        self,
        principal: Principal,
        upload: ValidUpload,
        info: MediaInfo,
        document_id: str,
        key: str,
        size: int,
        finishing_session_id: str | None,
    ) -> DocumentRow:
        now = datetime.now(UTC)
        async with self.db.session() as session:
            # First: the limits bind here, where the document and its job are inserted.
            await self.guard.admit_document(
                session, principal.user_id, size, finishing_session_id=finishing_session_id
            )
            if finishing_session_id is not None:
                # The session becomes this document in the same commit: counted once.
                await session.execute(
                    delete(UploadSessionRow).where(UploadSessionRow.id == finishing_session_id)
                )
            if (
                upload.folder_id is not None
                and await session.get(FolderRow, upload.folder_id) is None
            ):
                raise NotFound(
                    f"Folder {upload.folder_id} was deleted during the upload.",
                    reason="FOLDER_NOT_FOUND",
                )
            # The lifecycle's fields (version, status, stage, progress, ...) are accept_upload's.
            document = DocumentRow(
                id=document_id,
                **owner_columns(principal),
                **upload.document_columns(),
                content_type=info.content_type,
                media_kind=info.kind,
                size_bytes=size,
                duration_seconds=info.duration_seconds,
                summary={},
                speaker_count=0,
                speaker_suggestions={},
                key_points=[],
                action_items=[],
                original_key=key,
                create_time=now,
            )
            session.add(document)
            # The lifecycle's first version: its state, its job and the transcription command.
            await accept_upload(session, self.outbox, document, new_id())
            await search_index.index_title(session, document)
        return document


def check_complete(upload: ValidUpload, received: int) -> None:
    if upload.size_known and received != upload.size_bytes:
        raise InvalidArgument(
            f"The upload ended after {received} bytes but {upload.size_bytes} were declared; "
            "send the whole file.",
            reason="SIZE_MISMATCH",
            metadata={"received_bytes": str(received), "declared_bytes": str(upload.size_bytes)},
        )
