"""Database access shared by the services that own state: one async engine per service,
SQLite by default and PostgreSQL via `DATABASE_URL`, schema managed by Alembic.

On PostgreSQL every service keeps its tables in a schema named after it (`auth`,
`library`), so one `DATABASE_URL` serves them all: both have an `outbox` table, and two
services migrating into one `public` schema collide. A URL that already says where to look
(`?options=-csearch_path%3D...`) is taken as it is."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator


def async_url(url: str) -> URL:
    """The async driver for a URL given with the sync one (or none)."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def sync_url(url: str) -> URL:
    """The blocking driver Alembic runs with."""
    parsed = async_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return parsed.set(drivername="sqlite")
    return parsed  # psycopg 3 serves both sync and async under one name


def service_database_url(configured: str, data_dir: Path, service: str) -> str:
    """The database URL `service` works with: a SQLite file under `data_dir` when nothing is
    configured; on PostgreSQL the configured URL with the service's own schema first on the
    search path."""
    if not configured:
        return sqlite_url_in(data_dir, service)
    parsed = make_url(configured)
    if parsed.get_backend_name() != "postgresql" or "options" in parsed.query:
        return configured
    with_schema = parsed.update_query_dict({"options": f"-csearch_path={service}"})
    return with_schema.render_as_string(hide_password=False)


def url_schema(url: str | URL) -> str | None:
    """The schema a PostgreSQL URL puts first on its search path (None: `public`)."""
    parsed = make_url(url) if isinstance(url, str) else url
    options = parsed.query.get("options")
    for option in [options] if isinstance(options, str) else list(options or ()):
        match = _SEARCH_PATH.search(option)
        if match:
            schema = match.group(1).split(",")[0].strip().strip('"')
            return None if schema == "public" else schema
    return None


def sqlite_url_in(data_dir: Path, name: str) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / f'{name}.db').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (Watch, List) run while the outbox relay writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([^\s]+)")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Database:
    """An engine and a session factory; `session()` commits on success, rolls back on error."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        kwargs: dict[str, Any] = {}
        if self.url.get_backend_name() == "postgresql":
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


class SharedDatabaseError(ValueError):
    """Two services were pointed at one SQLite file, which has no schemas to keep them apart."""


def upgrade_schema(url: str, migrations: Path, version_table: str) -> None:
    """Applies the service's Alembic migrations up to head (blocking; run at start-up)."""
    _refuse_a_shared_sqlite_file(url, version_table)
    config = Config()
    config.set_main_option("script_location", str(migrations))
    rendered = sync_url(url).render_as_string(hide_password=False)
    # Alembic's config is a ConfigParser: a literal % (an escaped URL query) is written %%.
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    config.attributes["version_table"] = version_table
    command.upgrade(config, "head")


def _refuse_a_shared_sqlite_file(url: str, version_table: str) -> None:
    parsed = sync_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    path = Path(parsed.database)
    if not path.is_file():
        return
    with closing(sqlite3.connect(path)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    others = sorted(t for t in tables if t.startswith("alembic_version") and t != version_table)
    if others:
        raise SharedDatabaseError(
            f"{path} already holds another service's tables ({', '.join(others)}): with SQLite "
            "leave DATABASE_URL empty (one file per service under DATA_DIR) or give each "
            "service its own (AUTH_DATABASE_URL, LIBRARY_DATABASE_URL)"
        )


def run_migrations_online(target_metadata: Any) -> None:
    """Body of every service's `migrations/env.py`."""
    from alembic import context
    from sqlalchemy import create_engine, pool

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    version_table = config.attributes.get("version_table", "alembic_version")
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            # Replicas starting together on a fresh database would each run the same
            # migrations; the first takes the lock, the others then find the schema at head.
            # (Session-level: released when this connection closes, crash included.)
            connection.execute(
                text("SELECT pg_advisory_lock(hashtext(:name))"), {"name": version_table}
            )
            connection.commit()
        schema = url_schema(url) if postgres else None
        if schema is not None:
            if not _SCHEMA_NAME.match(schema):
                raise ValueError(f"unusable schema name in the database URL: {schema!r}")
            # The URL's search_path names it; tables created without a schema land in it.
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            version_table_schema=schema,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite drops tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
