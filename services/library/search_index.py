"""The library's full-text index: what is indexed for a document, keeping it current, and the
two ranked queries search needs (which documents, which passages), on SQLite FTS5 and on
PostgreSQL tsvector alike.

Every write replaces one kind of passage of one document (its title, its summary or its
transcript) inside the caller's transaction, so the index changes together with the document.
A document's passages go with it (foreign key ON DELETE CASCADE, and `forget` for the explicit
deletions)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from google.protobuf import json_format
from sqlalchemy import bindparam, delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.db import Database
from services.kernel.storage import ObjectNotFound, ObjectStore
from services.kernel.transcripts import parse_transcript, seconds
from services.library.search_text import (
    SearchQuery,
    fts5_any,
    fts5_match,
    index_terms,
    tsquery,
    tsquery_any,
    tsvector,
)
from services.library.store import DocumentRow, SearchEntryRow
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.library.search")


class PassageKind(IntEnum):
    TITLE = 1
    SUMMARY = 2
    TRANSCRIPT = 3


# A title match outranks a summary match, which outranks a transcript match of similar
# relevance: the title is what the owner chose to call the recording.
WEIGHTS = {PassageKind.TITLE: 10.0, PassageKind.SUMMARY: 3.0, PassageKind.TRANSCRIPT: 1.0}
PASSAGES_PER_DOCUMENT = 3
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+|\n+")
_WEIGHT_SQL = (
    "CASE e.kind "
    + " ".join(f"WHEN {int(kind)} THEN {weight}" for kind, weight in WEIGHTS.items())
    + " ELSE 1.0 END"
)


@dataclass(frozen=True, slots=True)
class Passage:
    kind: PassageKind
    position: int
    text: str
    start_seconds: float | None = None
    speaker_id: str = ""


def title_passages(title: str) -> list[Passage]:
    return [Passage(PassageKind.TITLE, 0, title)]


def summary_passages(summary: events_pb2.Summary) -> list[Passage]:
    """Each sentence of the summary and each key point, decision and action item: passages
    about as long as a transcript segment, so relevance compares like with like (a whole
    paragraph would rank below any short segment with the same word)."""
    texts = [s for s in _SENTENCE_END.split(summary.summary) if s.strip()]
    texts += list(summary.key_points) + list(summary.decisions)
    texts += [item.text for item in summary.action_items]
    return [Passage(PassageKind.SUMMARY, i, t) for i, t in enumerate(texts)]


def transcript_passages(transcript: library_pb2.Transcript) -> list[Passage]:
    """One passage per segment, with when it starts and who said it."""
    return [
        Passage(
            PassageKind.TRANSCRIPT,
            i,
            segment.text,
            start_seconds=seconds(segment.start_offset),
            speaker_id=segment.speaker_id,
        )
        for i, segment in enumerate(transcript.segments)
    ]


async def index_title(session: AsyncSession, document: DocumentRow) -> None:
    """After the document is created or renamed (its row must exist: flush first)."""
    await _replace(session, document.id, PassageKind.TITLE, title_passages(document.title))


async def index_summary(
    session: AsyncSession, document: DocumentRow, summary: events_pb2.Summary
) -> None:
    await _replace(session, document.id, PassageKind.SUMMARY, summary_passages(summary))


async def reindex_transcript(
    session: AsyncSession, document: DocumentRow, transcript: library_pb2.Transcript
) -> None:
    """After transcription or an edit of the transcript: its segments replace the old ones.
    Call it in the transaction that stores the new revision, with the document row locked."""
    await _replace(session, document.id, PassageKind.TRANSCRIPT, transcript_passages(transcript))


async def forget(session: AsyncSession, document_ids: Sequence[str]) -> None:
    if document_ids:
        await session.execute(
            delete(SearchEntryRow).where(SearchEntryRow.document_id.in_(list(document_ids)))
        )


async def apply_event(
    session: AsyncSession,
    document: DocumentRow,
    event: Any,
    transcript: library_pb2.Transcript | None,
) -> None:
    """What an applied pipeline event changes in the index (`transcript`: the one the
    transcription event names, read beforehand with `read_transcript`)."""
    if isinstance(event, events_pb2.TranscriptionCompleted) and transcript is not None:
        await reindex_transcript(session, document, transcript)
    elif isinstance(event, events_pb2.SummaryCompleted):
        # The summarizer may also have named the document.
        await index_title(session, document)
        await index_summary(session, document, event.summary)


async def read_transcript(store: ObjectStore, key: str) -> library_pb2.Transcript | None:
    """The stored transcript, or None (logged) when it cannot be read: search then misses
    its words, but the document's processing goes on."""
    if not key:
        return None
    try:
        return parse_transcript(await asyncio.to_thread(store.get_bytes, key))
    except (ObjectNotFound, json_format.ParseError):
        log.warning("transcript not indexed: unreadable", extra={"transcript_key": key})
        return None


async def index_unindexed(db: Database, store: ObjectStore) -> int:
    """Indexes the documents that have no passages yet (stored before the index existed);
    run once at start-up. Returns how many were indexed."""
    async with db.session() as session:
        missing = select(DocumentRow.id).where(
            ~exists().where(SearchEntryRow.document_id == DocumentRow.id)
        )
        document_ids = list(await session.scalars(missing.order_by(DocumentRow.id)))
    done = 0
    for document_id in document_ids:
        async with db.session() as session:
            found = await session.get(DocumentRow, document_id)
        if found is None:
            continue
        # Read outside the transaction: no row stays locked during storage I/O.
        transcript = await read_transcript(store, found.transcript_key)
        async with db.session() as session:
            document = await session.get(DocumentRow, document_id, with_for_update=True)
            indexed = await session.scalar(
                select(exists().where(SearchEntryRow.document_id == document_id))
            )
            if document is None or indexed:
                continue  # deleted meanwhile, or indexed by an event that came first
            await index_title(session, document)
            summary = events_pb2.Summary(
                summary=document.summary_text, key_points=list(document.key_points or [])
            )
            await index_summary(session, document, summary)
            if transcript is not None:
                await reindex_transcript(session, document, transcript)
        done += 1
    if done:
        log.info("documents added to the search index", extra={"documents": done})
    return done


async def _replace(
    session: AsyncSession, document_id: str, kind: PassageKind, passages: list[Passage]
) -> None:
    await session.execute(
        delete(SearchEntryRow).where(
            SearchEntryRow.document_id == document_id, SearchEntryRow.kind == int(kind)
        )
    )
    postgres = _is_postgres(session)
    rows: list[dict[str, Any]] = []
    for passage in passages:
        terms = index_terms(passage.text)
        if not terms:
            continue  # nothing to find in it ("…", "[music]" is found by "music")
        row: dict[str, Any] = {
            "document_id": document_id,
            "kind": int(passage.kind),
            "position": passage.position,
            "start_seconds": passage.start_seconds,
            "speaker_id": passage.speaker_id,
            "text": passage.text,
            "terms": terms,
        }
        if postgres:
            row["tsv"] = tsvector(terms)
        rows.append(row)
    if not rows:
        return
    if postgres:
        statement = text(
            "INSERT INTO search_entries "
            "(document_id, kind, position, start_seconds, speaker_id, text, terms, tsv) "
            "VALUES (:document_id, :kind, :position, :start_seconds, :speaker_id, :text, "
            ":terms, CAST(:tsv AS tsvector))"
        )
    else:  # the FTS5 table follows through the insert trigger
        statement = text(
            "INSERT INTO search_entries "
            "(document_id, kind, position, start_seconds, speaker_id, text, terms) "
            "VALUES (:document_id, :kind, :position, :start_seconds, :speaker_id, :text, :terms)"
        )
    await session.execute(statement, rows)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class RankedDocument:
    document_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage that matches, with its weighted relevance."""

    document_id: str
    kind: PassageKind
    text: str
    start_seconds: float | None
    score: float


def _clause_hits(postgres: bool, index: int, folder: bool) -> str:
    """Passages of the owner's documents matching clause `index`, with weighted relevance
    (higher is better: FTS5's bm25 is negative, better when lower)."""
    folder_filter = " AND d.folder_id = :folder_id" if folder else ""
    if postgres:
        return (
            f"SELECT e.document_id AS document_id, {index} AS clause, "
            f"ts_rank(e.tsv, CAST(:q{index} AS tsquery)) * {_WEIGHT_SQL} AS score "
            "FROM search_entries AS e JOIN documents AS d ON d.id = e.document_id "
            f"WHERE e.tsv @@ CAST(:q{index} AS tsquery) AND d.owner_id = :owner_id{folder_filter}"
        )
    return (
        f"SELECT e.document_id AS document_id, {index} AS clause, "
        f"-bm25(search_fts) * {_WEIGHT_SQL} AS score "
        "FROM search_fts JOIN search_entries AS e ON e.id = search_fts.rowid "
        "JOIN documents AS d ON d.id = e.document_id "
        f"WHERE search_fts MATCH :q{index} AND d.owner_id = :owner_id{folder_filter}"
    )


async def rank_documents(
    session: AsyncSession,
    query: SearchQuery,
    *,
    owner_id: str,
    folder_id: str | None,
    limit: int,
    offset: int,
) -> list[RankedDocument]:
    """The owner's documents holding every clause (anywhere: title, summary or transcript),
    best first: a document scores the sum over clauses of its best passage for each."""
    postgres = _is_postgres(session)
    branches = " UNION ALL ".join(
        _clause_hits(postgres, i, folder_id is not None) for i in range(len(query.clauses))
    )
    statement = text(
        f"WITH hits AS MATERIALIZED ({branches}), "
        "per_clause AS (SELECT document_id, clause, MAX(score) AS best FROM hits "
        "GROUP BY document_id, clause) "
        "SELECT document_id, SUM(best) AS score FROM per_clause GROUP BY document_id "
        "HAVING COUNT(*) = :clauses ORDER BY score DESC, document_id LIMIT :limit OFFSET :offset"
    )
    params: dict[str, Any] = {
        "owner_id": owner_id,
        "clauses": len(query.clauses),
        "limit": limit,
        "offset": offset,
    }
    if folder_id is not None:
        params["folder_id"] = folder_id
    for i, clause in enumerate(query.clauses):
        params[f"q{i}"] = tsquery(clause) if postgres else fts5_match(clause)
    result = await session.execute(statement, params)
    return [RankedDocument(str(row.document_id), float(row.score)) for row in result]


@dataclass(frozen=True, slots=True)
class SearchPage:
    # Up to one more than the page asked for (the last one says a next page exists).
    ranked: list[RankedDocument]
    # The best passages and the rows of the page's documents, by document id.
    hits: dict[str, list[Hit]]
    documents: dict[str, DocumentRow]


async def search(
    db: Database,
    query: SearchQuery,
    *,
    owner_id: str,
    folder_id: str | None,
    size: int,
    offset: int,
) -> SearchPage:
    """One page of `rank_documents`, with its passages and rows, read in one transaction."""
    async with db.session() as session:
        ranked = await rank_documents(
            session, query, owner_id=owner_id, folder_id=folder_id, limit=size + 1, offset=offset
        )
        ids = [r.document_id for r in ranked[:size]]
        hits = await best_passages(session, query, ids)
        documents = {
            d.id: d
            for d in await session.scalars(select(DocumentRow).where(DocumentRow.id.in_(ids)))
        }
    return SearchPage(ranked=ranked, hits=hits, documents=documents)


async def best_passages(
    session: AsyncSession,
    query: SearchQuery,
    document_ids: Sequence[str],
    per_document: int = PASSAGES_PER_DOCUMENT,
) -> dict[str, list[Hit]]:
    """The best `per_document` passages of each document matching any clause, best first."""
    if not document_ids:
        return {}
    if _is_postgres(session):
        matching = (
            "SELECT e.document_id, e.kind, e.position, e.text, e.start_seconds, "
            f"ts_rank(e.tsv, CAST(:q AS tsquery)) * {_WEIGHT_SQL} AS score "
            "FROM search_entries AS e "
            "WHERE e.tsv @@ CAST(:q AS tsquery) AND e.document_id IN :ids"
        )
        match = tsquery_any(query.clauses)
    else:
        matching = (
            "SELECT e.document_id, e.kind, e.position, e.text, e.start_seconds, "
            f"-bm25(search_fts) * {_WEIGHT_SQL} AS score "
            "FROM search_fts JOIN search_entries AS e ON e.id = search_fts.rowid "
            "WHERE search_fts MATCH :q AND e.document_id IN :ids"
        )
        match = fts5_any(query.clauses)
    statement = text(
        f"WITH hits AS MATERIALIZED ({matching}), "
        "numbered AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY document_id "
        "ORDER BY score DESC, kind, position) AS n FROM hits) "
        "SELECT document_id, kind, text, start_seconds, score FROM numbered "
        "WHERE n <= :per_document ORDER BY document_id, n"
    ).bindparams(bindparam("ids", expanding=True))
    result = await session.execute(
        statement, {"q": match, "ids": list(document_ids), "per_document": per_document}
    )
    found: dict[str, list[Hit]] = {}
    for row in result:
        found.setdefault(str(row.document_id), []).append(
            Hit(
                document_id=str(row.document_id),
                kind=PassageKind(int(row.kind)),
                text=str(row.text),
                start_seconds=None if row.start_seconds is None else float(row.start_seconds),
                score=float(row.score),
            )
        )
    return found
