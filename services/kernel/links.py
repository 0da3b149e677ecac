"""Links handed to people: the web app's document page and signed local-disk downloads.

The library and the notifier both sign local download URLs, so they share one secret:
configured, or generated once under DATA_DIR."""

from __future__ import annotations

import secrets
from pathlib import Path

from services.kernel.files import load_or_create_secret


def download_signing_secret(data_dir: Path, configured: str = "") -> bytes:
    if configured:
        return configured.encode()
    # The library and the notifier starting together agree on the first one written.
    path = data_dir / "keys" / "download-signing.secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    return load_or_create_secret(path, lambda: secrets.token_hex(32)).encode()


def files_base_url(public_base_url: str) -> str:
    """Where signed local downloads are served (LibraryService/DownloadFile over REST)."""
    return f"{public_base_url.rstrip('/')}/api/v1/files"


def document_url(public_base_url: str, document_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/documents/{document_id}"
