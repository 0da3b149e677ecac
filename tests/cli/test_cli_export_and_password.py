"""`speechflow export` and `speechflow account password` against the real mesh."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
import srt

from services.cli.errors import ExitCode
from services.mesh.runner import Mesh
from tests import media
from tests.cli.conftest import PASSWORD, Cli

NEW_PASSWORD = "purple staple orbit"


def test_account_password_changes_it_and_keeps_this_computer_signed_in(
    signed_in: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = signed_in.credentials()["email"]
    old_refresh = signed_in.credentials()["refresh_token"]
    monkeypatch.setenv("SPEECHFLOW_NEW_PASSWORD", NEW_PASSWORD)

    changed = signed_in("account", "password")

    assert changed.code == 0, changed.err
    assert "Password changed" in changed.out
    assert signed_in.credentials()["refresh_token"] != old_refresh
    assert signed_in("whoami").code == 0
    monkeypatch.setenv("SPEECHFLOW_PASSWORD", PASSWORD)
    assert signed_in("login", "--email", email).code == ExitCode.NOT_ALLOWED
    monkeypatch.setenv("SPEECHFLOW_PASSWORD", NEW_PASSWORD)
    assert signed_in("login", "--email", email).code == 0


def test_account_password_with_a_wrong_current_password_says_so(
    signed_in: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPEECHFLOW_PASSWORD", "not my password")
    monkeypatch.setenv("SPEECHFLOW_NEW_PASSWORD", NEW_PASSWORD)

    refused = signed_in("account", "password")

    assert refused.code == ExitCode.NOT_ALLOWED
    assert "current password is not correct" in refused.err


def test_account_password_without_a_terminal_or_passwords_is_a_usage_error(
    signed_in: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPEECHFLOW_PASSWORD")

    refused = signed_in("account", "password")

    assert refused.code == ExitCode.USAGE
    assert "--password-stdin" in refused.err


def test_exporting_an_unknown_document_is_not_found(signed_in: Cli) -> None:
    missing = signed_in("export", "0b1f6c1e-0000-4000-8000-000000000000", "--format", "srt")

    assert missing.code == ExitCode.NOT_FOUND
    assert "does not exist" in missing.err


@pytest.mark.slow
def test_export_saves_srt_and_docx_named_after_the_title(
    signed_in: Cli, mesh: Mesh, tmp_path: Path
) -> None:
    speech = media.synthesize_speech("The budget is approved for March.", tmp_path / "b.wav")
    uploaded = signed_in(
        "upload", str(speech), "--title", "Budget review", "--language", "en", "--watch", "--json"
    )
    assert uploaded.code == 0, uploaded.err
    document_id = uploaded.json()["documents"][0]["id"]
    target = tmp_path / "out.srt"
    folder = tmp_path / "exports"
    folder.mkdir()

    as_srt = signed_in("export", document_id, "--format", "srt", "-o", str(target))
    as_docx = signed_in("export", document_id, "--format", "docx", "-o", str(folder), "--json")

    assert as_srt.code == 0, as_srt.err
    cues = list(srt.parse(target.read_text()))
    assert "budget" in " ".join(c.content for c in cues).lower()
    assert as_docx.code == 0, as_docx.err
    saved = Path(as_docx.json()["path"])
    assert saved == folder / "Budget-review.docx"
    paragraphs = [p.text for p in docx.Document(str(saved)).paragraphs]
    assert "Transcript" in paragraphs
