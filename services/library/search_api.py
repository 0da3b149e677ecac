"""LibraryService/SearchDocuments: ranked full-text search over the caller's titles,
summaries and transcripts, with snippets that say when the words were said."""

from __future__ import annotations

from typing import Any

from services.kernel.transcripts import duration
from services.library import domain, search_index, search_text
from services.library.accounts import active_caller
from services.library.api_base import Context, LibraryBase
from services.library.convert import document_message
from services.library.pages import Paging, decode_position, encode_position
from speechflow.library.v1 import library_pb2

# Ranked results are paged by position; nobody reads past a thousand search results.
MAX_OFFSET = 1000


class SearchRpcs(LibraryBase):
    async def SearchDocuments(
        self, request: library_pb2.SearchDocumentsRequest, context: Context
    ) -> library_pb2.SearchDocumentsResponse:
        principal = await active_caller(self._db)
        query = search_text.parse_query(request.query, domain.MAX_QUERY_LENGTH)
        paging = Paging.of(
            request, "search", principal.user_id, request.folder_id, query.fingerprint()
        )
        size = paging.size
        folder_id = request.folder_id or None
        if folder_id is not None:
            await self._owned_folder(principal, folder_id)
        offset = decode_offset(paging.token, paging.fingerprint)
        found = await search_index.search(
            self._db,
            query,
            owner_id=principal.user_id,
            folder_id=folder_id,
            size=size,
            offset=offset,
        )
        page, hits, rows = found.ranked[:size], found.hits, found.documents
        # Scores are relative to the best of the page: their scale depends on the whole
        # index (every user's words), which is nobody's business.
        top = page[0].score if page and page[0].score > 0 else 1.0
        results = [
            library_pb2.SearchResult(
                document=document_message(rows[r.document_id]),
                snippets=[_snippet(hit, query) for hit in hits.get(r.document_id, [])],
                score=r.score / top,
            )
            for r in page
            if r.document_id in rows
        ]
        more = len(found.ranked) > size and offset + size < MAX_OFFSET
        return library_pb2.SearchDocumentsResponse(
            results=results,
            next_page_token=encode_offset(offset + size, paging.fingerprint) if more else "",
        )


def _snippet(hit: search_index.Hit, query: search_text.SearchQuery) -> library_pb2.SearchSnippet:
    found = search_text.snippet(hit.text, query.clauses)
    snippet = library_pb2.SearchSnippet(
        text=found.text,
        highlights=[library_pb2.TextRange(start=s, end=e) for s, e in found.highlights],
    )
    if hit.start_seconds is not None:
        snippet.start_offset.CopyFrom(duration(hit.start_seconds))
    return snippet


def encode_offset(offset: int, fingerprint: str) -> str:
    return encode_position({"o": offset}, fingerprint)


def _read_offset(payload: dict[str, Any]) -> int | None:
    offset = payload["o"]
    # bool is an int to Python, not to us.
    return offset if type(offset) is int and 0 < offset <= MAX_OFFSET else None


def decode_offset(token: str, fingerprint: str) -> int:
    """The position a page token continues from (AIP-158: opaque, tied to its query);
    INVALID_ARGUMENT for anything `encode_offset` did not write."""
    offset = decode_position(
        token,
        fingerprint,
        _read_offset,
        invalid="The page token is not valid; search again without one.",
        mismatch="The page token belongs to a different search; keep the words and folder the "
        "same while paging.",
    )
    return 0 if offset is None else offset
