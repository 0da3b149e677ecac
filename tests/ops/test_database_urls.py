"""One DATABASE_URL for every service: on PostgreSQL each gets its own schema; on SQLite, a
shared file is refused with a message that says what to do."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from services.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from services.kernel.db import (
    SharedDatabaseError,
    service_database_url,
    upgrade_schema,
    url_schema,
)
from services.library.app import MIGRATIONS as LIBRARY_MIGRATIONS

POSTGRES = "postgresql+psycopg://speechflow:secret@db:5432/speechflow"


def test_each_service_gets_its_own_schema_on_one_postgresql_url(tmp_path: Path) -> None:
    auth = service_database_url(POSTGRES, tmp_path, "auth")
    library = service_database_url(POSTGRES, tmp_path, "library")
    assert (url_schema(auth), url_schema(library)) == ("auth", "library")
    assert "secret@" in auth  # the password survives the rewrite


def test_a_url_that_names_its_search_path_is_taken_as_it_is(tmp_path: Path) -> None:
    legacy = f"{POSTGRES}?options=-csearch_path%3Dpublic"
    assert service_database_url(legacy, tmp_path, "auth") == legacy
    assert url_schema(legacy) is None


def test_nothing_configured_means_one_sqlite_file_per_service(tmp_path: Path) -> None:
    assert service_database_url("", tmp_path, "auth").endswith("/auth.db")
    assert service_database_url("", tmp_path, "library").endswith("/library.db")


def test_two_services_on_one_sqlite_file_are_refused_with_what_to_do(tmp_path: Path) -> None:
    shared = f"sqlite:///{tmp_path / 'speechflow.db'}"
    upgrade_schema(shared, AUTH_MIGRATIONS, "alembic_version_auth")
    with pytest.raises(SharedDatabaseError, match="leave DATABASE_URL empty"):
        upgrade_schema(shared, LIBRARY_MIGRATIONS, "alembic_version_library")
    upgrade_schema(shared, AUTH_MIGRATIONS, "alembic_version_auth")  # its own: fine


def _migrate_auth(url: str) -> None:
    upgrade_schema(url, AUTH_MIGRATIONS, "alembic_version_auth")


def test_replicas_migrating_a_fresh_postgresql_database_at_once_all_start(
    postgres_url: str,
) -> None:
    # Four auth replicas of a fresh deployment run their migrations at the same moment
    # (processes, as replicas are: Alembic's context is process-global).
    url = service_database_url(postgres_url, Path("/unused"), "auth")
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = [pool.submit(_migrate_auth, url) for _ in range(4)]
        for result in results:
            result.result()  # re-raises a replica's failure
