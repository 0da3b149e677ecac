"""What `make up` says and how it paces restarts, without starting the mesh."""

from __future__ import annotations

from pathlib import Path

from services.mesh.runner import Mesh, MeshSettings
from services.mesh.services import SERVICES, ServiceProcess
from services.mesh.supervisor import Backoff


def test_the_closing_line_names_the_data_dir_in_use(tmp_path: Path) -> None:
    data_dir = tmp_path / "elsewhere"
    summary = Mesh(MeshSettings(_env_file=None, data_dir=data_dir)).summary()  # type: ignore[call-arg]
    assert summary.splitlines()[-1].endswith(f"data stays in {data_dir.resolve()}.")
    assert ".data/" not in summary


def test_restarts_back_off_exponentially_up_to_a_ceiling() -> None:
    backoff = Backoff(base_seconds=1, max_seconds=30)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_the_runner_waits_longer_than_a_services_own_grace_before_sigkill(tmp_path: Path) -> None:
    process = ServiceProcess(SERVICES[0], 0, tmp_path, {"SHUTDOWN_GRACE_SECONDS": "7"}, tmp_path)
    assert process.stop_grace > 7
