"""What every case gets: the running mesh, the input sizes and a scratch folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.sizes import BenchSizes
from services.mesh.runner import Mesh


@dataclass(frozen=True)
class BenchContext:
    mesh: Mesh
    sizes: BenchSizes
    scratch: Path
