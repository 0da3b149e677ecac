"""The schema each service's migrations build at head, pinned on SQLite and PostgreSQL.

Migrations share column and table helpers (services/kernel/migration_schema.py), so an edit
there reaches revisions that existing databases have already applied. This test upgrades a
fresh database to head, reflects every table (columns, types, nullability, server defaults,
keys, foreign keys, indexes; on SQLite the stored DDL too) and compares it with a snapshot in
tests/ops/migrated_schema/; downgrading to base and upgrading again must give the same, and
the row classes the services map must match it (Alembic's autogenerate comparison). A change
to the schema must come as a new revision; after adding one, rewrite the snapshots with
`SPEECHFLOW_WRITE_SCHEMA_SNAPSHOTS=1` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from services.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from services.auth.oidc import store as _oidc_rows  # noqa: F401  (its tables join auth's Base)
from services.auth.store import Base as AuthBase
from services.kernel.db import service_database_url, sync_url, upgrade_schema, url_schema
from services.library import share_links_store as _share_link_rows  # noqa: F401  (likewise)
from services.library.app import MIGRATIONS as LIBRARY_MIGRATIONS
from services.library.store import Base as LibraryBase
from services.notifier.app import MIGRATIONS as NOTIFIER_MIGRATIONS
from services.notifier.webhooks.store import Base as NotifierBase

SNAPSHOTS = Path(__file__).parent / "migrated_schema"
SERVICES = {
    "auth": AUTH_MIGRATIONS,
    "library": LIBRARY_MIGRATIONS,
    "notifier": NOTIFIER_MIGRATIONS,
}
# The tables each service's code maps (SQLAlchemy ORM), to compare with what its migrations build.
MAPPED = {
    "auth": AuthBase.metadata,
    "library": LibraryBase.metadata,
    "notifier": NotifierBase.metadata,
}


def _left_to_the_migrations(difference: tuple[Any, ...]) -> bool:
    """The full-text index's storage (library revision 0006), which no row class maps: on
    SQLite an FTS5 table and its shadow tables, on PostgreSQL a tsvector column under a GIN
    index."""
    kind, subject = difference[0], difference[-1]
    if kind == "remove_table":
        return re.fullmatch(r"search_fts(_\w+)?", subject.name) is not None
    if kind in ("remove_column", "remove_index"):
        return subject.name in ("tsv", "ix_search_entries_tsv")
    return False


def describe_schema(url: str) -> dict[str, Any]:
    """Everything about the tables at `url` that a migration decides, as plain data."""
    schema = url_schema(url)
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            tables = {
                table: _describe_table(inspector, table, schema, connection.dialect)
                for table in sorted(inspector.get_table_names(schema=schema))
            }
            described: dict[str, Any] = {"tables": tables}
            if connection.dialect.name == "sqlite":
                described["sqlite_master"] = _sqlite_master(connection)
    finally:
        engine.dispose()
    return described


def _describe_table(
    inspector: sa.Inspector, table: str, schema: str | None, dialect: sa.Dialect
) -> dict[str, Any]:
    def key(entry: dict[str, Any]) -> str:
        return str(entry.get("name") or entry.get("column_names") or entry)

    return {
        "columns": [
            {
                "name": column["name"],
                "type": _type_name(column["type"], dialect),
                "nullable": column["nullable"],
                "default": column["default"],
                "autoincrement": column.get("autoincrement"),
            }
            for column in inspector.get_columns(table, schema=schema)
        ],
        "primary_key": inspector.get_pk_constraint(table, schema=schema),
        "foreign_keys": sorted(inspector.get_foreign_keys(table, schema=schema), key=key),
        "indexes": sorted(inspector.get_indexes(table, schema=schema), key=key),
        "unique_constraints": sorted(
            inspector.get_unique_constraints(table, schema=schema), key=key
        ),
        "check_constraints": sorted(inspector.get_check_constraints(table, schema=schema), key=key),
    }


def _type_name(column_type: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> str:
    if isinstance(column_type, sa.types.NullType):
        return "(none)"  # FTS5's shadow tables declare no types
    return column_type.compile(dialect=dialect)


def _sqlite_master(connection: sa.Connection) -> list[list[str]]:
    rows = connection.execute(
        sa.text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    )
    return [[kind, name, table, _folded(sql)] for kind, name, table, sql in rows]


def _folded(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip()


def _snapshot_of(described: dict[str, Any]) -> Any:
    # Through JSON both ways, so tuples and lists compare alike.
    return json.loads(json.dumps(described, default=str))


def _downgrade_to_base(url: str, service: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(SERVICES[service]))
    rendered = sync_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    config.attributes["version_table"] = f"alembic_version_{service}"
    command.downgrade(config, "base")


def _database_url(
    service: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> str:
    configured = "" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    return service_database_url(configured, tmp_path, service)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_build_the_pinned_schema(
    service: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database_url(service, backend, tmp_path, request)
    upgrade_schema(url, SERVICES[service], f"alembic_version_{service}")
    described = _snapshot_of(describe_schema(url))
    snapshot = SNAPSHOTS / f"{service}-{backend}.json"
    if os.environ.get("SPEECHFLOW_WRITE_SCHEMA_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(json.dumps(described, indent=1, sort_keys=True) + "\n")
    assert described == json.loads(snapshot.read_text())


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_downgrade_undoes_its_upgrade(
    service: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database_url(service, backend, tmp_path, request)
    upgrade_schema(url, SERVICES[service], f"alembic_version_{service}")
    _downgrade_to_base(url, service)
    left = set(describe_schema(url)["tables"]) - {f"alembic_version_{service}"}
    assert left == set()
    upgrade_schema(url, SERVICES[service], f"alembic_version_{service}")
    snapshot = SNAPSHOTS / f"{service}-{backend}.json"
    assert _snapshot_of(describe_schema(url)) == json.loads(snapshot.read_text())


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_tables_the_code_maps_are_the_ones_the_migrations_build(
    service: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database_url(service, backend, tmp_path, request)
    upgrade_schema(url, SERVICES[service], f"alembic_version_{service}")
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            if (schema := url_schema(url)) is not None:
                connection.execute(sa.text(f'SET search_path TO "{schema}"'))
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "version_table": f"alembic_version_{service}"},
            )
            differences = compare_metadata(context, MAPPED[service])
    finally:
        engine.dispose()
    assert [d for d in differences if not _left_to_the_migrations(d)] == []
