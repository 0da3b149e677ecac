"""`speechflow-admin` run from anywhere works on the project's deployment, and answers a
refusal with one line instead of a traceback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.admin.backup import create_backup
from services.admin.environment import load_project_environment
from services.mesh.nats_server import NatsServer
from tests.ops.deployment_harness import Folders, running


def test_the_projects_env_is_read_with_its_paths_taken_from_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(
        "DATA_DIR=.data\nJWT_PUBLIC_KEY_FILE=keys/jwt.pub.pem\nLOG_LEVEL=DEBUG\n"
        "STORAGE_BACKEND=s3\n"
    )
    environ = {"STORAGE_BACKEND": "local"}  # what the caller set wins over .env
    data_dir = load_project_environment(project, environ)
    assert data_dir == project / ".data"
    assert environ == {
        "DATA_DIR": str(project / ".data"),
        "JWT_PUBLIC_KEY_FILE": str(project / "keys/jwt.pub.pem"),
        "LOG_LEVEL": "DEBUG",
        "STORAGE_BACKEND": "local",
    }


def test_without_an_env_file_the_data_dir_is_the_projects(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert load_project_environment(tmp_path, environ) == tmp_path / ".data"


@pytest.mark.asyncio
async def test_a_refused_restore_is_one_line_and_changes_nothing(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    folders = Folders(data=tmp_path / "data", keys=tmp_path / "keys")
    async with running(folders, nats_server.url):
        pass  # migrations create the tables: the deployment is not empty
    backup = create_backup(
        folders.deployment(nats_server.url), tmp_path / "backups", datetime.now(UTC)
    )
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    completed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.admin", "restore", str(backup)],
        cwd=elsewhere,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(folders.data)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("speechflow-admin restore: the auth database already holds tables")
