"""The whole product with nothing but curl: the README's quick tour, run for real."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pypdf
import pytest

from services.mesh.runner import Mesh
from tests import media
from tests.rest.test_routes import sse_events

pytestmark = pytest.mark.slow


def curl(*args: str) -> str:
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail-with-body", *args],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()[:500]
    return result.stdout.decode("latin-1")


def test_register_upload_watch_download_delete_with_curl(mesh: Mesh, tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{mesh.settings.envoy_port}/api/v1"
    talk = media.synthesize_speech(
        "This is the curl tour. The team agreed to publish the report on Friday.",
        tmp_path / "talk.wav",
    )
    credentials = json.dumps(
        {"email": "curl-tour@example.com", "password": "correct horse battery"}
    )
    curl("-X", "POST", f"{api}/auth/register", "-d", credentials)
    tokens = json.loads(curl("-X", "POST", f"{api}/auth/login", "-d", credentials))["tokens"]
    auth = f"authorization: Bearer {tokens['access_token']}"
    uploaded = json.loads(
        curl(
            "-X",
            "POST",
            f"{api}/documents:upload?file_name=talk.wav&language=en",
            "-H",
            auth,
            "-H",
            "content-type: audio/wav",
            "--data-binary",
            f"@{talk}",
        )
    )
    document_id = uploaded["document"]["id"]
    events = sse_events(curl("-N", "-H", auth, f"{api}/documents/{document_id}:watch"))
    assert events[0]["progress"] == 10
    assert events[-1]["status"] == "DOCUMENT_STATUS_COMPLETED"
    assert events[-1]["progress"] == 100
    pdf_path = tmp_path / "report.pdf"
    curl(
        "-H", auth, "-o", str(pdf_path), f"{api}/documents/{document_id}/content?kind=FILE_KIND_PDF"
    )
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2
    curl("-X", "DELETE", "-H", auth, f"{api}/documents/{document_id}")
    missing = subprocess.run(
        [
            "curl",
            "--silent",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            auth,
            f"{api}/documents/{document_id}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.stdout == "404"
