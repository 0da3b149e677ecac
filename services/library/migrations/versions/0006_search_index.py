"""full-text search index

One row per searchable passage (a title, a summary paragraph or key point, a transcript
segment) in `search_entries`, holding its text and its terms (services/library/search_text.py).
SQLite indexes the terms in an FTS5 table kept in step by triggers; PostgreSQL in a tsvector
column the library writes with every row, under a GIN index."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"

# External content: FTS5 stores only its index; the text stays in search_entries.
SQLITE_FTS = """
CREATE VIRTUAL TABLE search_fts USING fts5(
    terms,
    content='search_entries',
    content_rowid='id',
    tokenize='unicode61 remove_diacritics 2',
    prefix='2 3'
)
"""
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms);
    END
    """,
    """
    CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
    END
    """,
    """
    CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
        INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms);
    END
    """,
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    columns: list[sa.Column[object]] = [
        # INTEGER PRIMARY KEY on SQLite: the rowid FTS5 refers to.
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "document_id",
            sa.String(length=36),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_seconds", sa.Float(), nullable=True),
        sa.Column("speaker_id", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
    ]
    if postgres:
        columns.append(sa.Column("tsv", postgresql.TSVECTOR(), nullable=False))
    op.create_table("search_entries", *columns)
    op.create_index(
        "ix_search_entries_document_kind", "search_entries", ["document_id", "kind", "position"]
    )
    if postgres:
        op.create_index("ix_search_entries_tsv", "search_entries", ["tsv"], postgresql_using="gin")
    else:
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    # Documents from before this revision are indexed by the library at start-up
    # (search_index.index_unindexed): their transcripts are in object storage, not here.


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("search_entries_au", "search_entries_ad", "search_entries_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_entries")
