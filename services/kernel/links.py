"""Links handed to people: the web app's document page and signed local-disk downloads.

The library and the notifier both sign local download URLs, so they share one secret:
configured, or generated once under DATA_DIR."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def download_signing_secret(data_dir: Path, configured: str = "") -> bytes:
    if configured:
        return configured.encode()
    path = data_dir / "keys" / "download-signing.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(secrets.token_hex(32))
        temp.chmod(0o600)
        # Two services starting together: the first rename wins, both read the same file.
        if not path.exists():
            temp.replace(path)
        else:
            temp.unlink()
    return path.read_text().strip().encode()


def files_base_url(public_base_url: str) -> str:
    """Where signed local downloads are served (LibraryService/DownloadFile over REST)."""
    return f"{public_base_url.rstrip('/')}/api/v1/files"


def document_url(public_base_url: str, document_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/documents/{document_id}"
