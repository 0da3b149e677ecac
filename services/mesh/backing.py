"""PostgreSQL and S3 for `make up` when asked for (`MESH_DATABASE=postgres`,
`MESH_STORAGE=s3`): the embedded PostgreSQL and seaweedfs the tests use, with their data
under DATA_DIR, so the grown-up path of a deployment is one command too.

The services then get one `DATABASE_URL` (each keeps its tables in its own schema) and the
S3 settings; the buckets are created by `speechflow-admin init-storage`, as compose does.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url

from services.mesh.nats_auth import load_or_create_password
from services.mesh.postgres import PostgresServer
from services.mesh.processes import ManagedProcess, run_tool
from services.mesh.s3_server import SeaweedS3

Database = Literal["sqlite", "postgres"]
Storage = Literal["local", "s3"]
S3_ACCESS_KEY = "speechflow"


@dataclass
class BackingStores:
    """The database and object store servers of one mesh (none for SQLite + local disk)."""

    data_dir: Path
    database: Database = "sqlite"
    storage: Storage = "local"
    postgres_port: int = 5432
    s3_port: int = 8333
    postgres: PostgresServer | None = None
    s3: SeaweedS3 | None = None
    environment: dict[str, str] = field(default_factory=dict)

    def start(self) -> dict[str, str]:
        """Starts what is asked for (blocking); returns the services' settings for it."""
        if self.database == "postgres":
            self.postgres = PostgresServer(self.data_dir / "postgres", self.postgres_port)
            self.postgres.start()  # creates the `speechflow` database on first start
            url = self.postgres.url
            # One URL for all; the service-specific names too, so a `.env` left over from
            # a hand-made setup cannot point a service elsewhere.
            self.environment |= {
                "DATABASE_URL": url,
                "AUTH_DATABASE_URL": url,
                "LIBRARY_DATABASE_URL": url,
                "NOTIFIER_DATABASE_URL": url,
            }
        if self.storage == "s3":
            secret = load_or_create_password(self.data_dir / "keys" / "s3" / "secret")
            self.s3 = SeaweedS3(
                self.data_dir / "s3", self.s3_port, access_key=S3_ACCESS_KEY, secret_key=secret
            )
            self.s3.start()
            self.environment |= {
                "STORAGE_BACKEND": "s3",
                "S3_ENDPOINT": self.s3.url,
                "S3_PUBLIC_ENDPOINT": f"http://localhost:{self.s3_port}",
                "S3_ACCESS_KEY": S3_ACCESS_KEY,
                "S3_SECRET_KEY": secret,
                "S3_SECURE": "false",
            }
        return dict(self.environment)

    def create_buckets(self, environment: Mapping[str, str], cwd: Path) -> None:
        """`speechflow-admin init-storage` with the services' own settings (bucket names
        from `.env` included)."""
        if self.s3 is None:
            return
        run_tool(
            [sys.executable, "-m", "services.admin", "init-storage"],
            name="init-storage",
            env=environment,
            cwd=cwd,
        )

    def processes(self) -> list[ManagedProcess]:
        return [p for p in (self.postgres, self.s3) if p is not None]

    def stop(self) -> None:
        for process in reversed(self.processes()):
            process.stop()

    def summary_rows(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        if self.postgres is not None:
            url = make_url(self.postgres.url)
            rows.append(("PostgreSQL", url.render_as_string(hide_password=True)))
        if self.s3 is not None:
            rows.append(("S3 (seaweedfs)", f"{self.s3.url} (secret in keys/s3/secret)"))
        return rows
