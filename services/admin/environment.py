"""Which settings `speechflow-admin` works with, wherever it is run from.

The services read `.env` from their working directory, which `make up` and compose make the
project folder. An operator runs the admin command from anywhere (a cron job, their home
folder), where a cwd-relative `.env` and `.data` would silently mean an empty SQLite
deployment. So the project's own `.env` is loaded (variables already set win, as compose
sets them), and relative paths in it, `DATA_DIR` included, are taken from the project folder.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = ".data"


def _is_path_setting(name: str) -> bool:
    return name == "DATA_DIR" or name.endswith(("_FILE", "_DIR"))


def load_project_environment(
    root: Path = PROJECT_ROOT, environ: MutableMapping[str, str] = os.environ
) -> Path:
    """Fills `environ` from `root/.env` without overriding it; returns the DATA_DIR in use."""
    values = {k: v for k, v in dotenv_values(root / ".env").items() if v is not None}
    values.setdefault("DATA_DIR", DEFAULT_DATA_DIR)
    for name, value in values.items():
        if name in environ:
            continue
        if _is_path_setting(name) and value and not Path(value).is_absolute():
            value = str(root / value)
        environ[name] = value
    return Path(environ["DATA_DIR"])
