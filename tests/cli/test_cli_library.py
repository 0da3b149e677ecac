"""Folders, uploads, listing, downloads and watching with `speechflow`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli.errors import ExitCode
from services.mesh.runner import Mesh
from tests import media
from tests.cli.conftest import Cli

MEETING = (
    "Welcome to the quarterly planning meeting. The budget for the next quarter is approved. "
    "Sarah will prepare the hiring plan by Friday."
)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(MEETING, tmp_path_factory.mktemp("cli") / "planning.mp3")


def test_folders_create_ls_rename_and_rm(signed_in: Cli) -> None:
    created = signed_in("folders", "create", "Team meetings", "--json")
    assert created.code == 0, created.err
    folder_id = created.json()["id"]

    listed = signed_in("folders", "ls", "--json").json()["folders"]
    assert [(f["id"], f["name"]) for f in listed] == [(folder_id, "Team meetings")]
    assert "Team meetings" in signed_in("folders", "ls").out

    renamed = signed_in("folders", "rename", "team meetings", "Standups", "--json")
    assert renamed.code == 0, renamed.err
    assert renamed.json() == renamed.json() | {"id": folder_id, "name": "Standups"}

    assert signed_in("folders", "rm", folder_id).code == 0
    assert signed_in("folders", "ls", "--json").json() == {"folders": []}


def test_duplicate_folder_name_exits_conflict(signed_in: Cli) -> None:
    assert signed_in("folders", "create", "Twice").code == 0

    result = signed_in("folders", "create", "Twice")

    assert result.code == ExitCode.CONFLICT
    assert "Twice" in result.err or "exists" in result.err


def test_unknown_folder_exits_not_found(signed_in: Cli, speech: Path) -> None:
    result = signed_in("upload", str(speech), "--folder", "No such folder")

    assert result.code == ExitCode.NOT_FOUND
    assert "No such folder" in result.err


def test_upload_of_a_file_that_is_no_recording_exits_invalid_argument(
    signed_in: Cli, tmp_path: Path
) -> None:
    junk = media.write_random_bytes(tmp_path / "notes.mp3", size=3 * 1024 * 1024)

    result = signed_in("upload", str(junk))

    assert result.code == 2
    assert "not a supported recording" in result.err
    assert signed_in("ls", "--json").json()["documents"] == []


def test_upload_of_a_missing_file_is_a_usage_error(signed_in: Cli, tmp_path: Path) -> None:
    result = signed_in("upload", str(tmp_path / "nowhere.mp3"))

    assert result.code == ExitCode.USAGE
    assert "No such file" in result.err


def test_unknown_document_exits_not_found(signed_in: Cli) -> None:
    for command in ("show", "watch", "download", "rm"):
        result = signed_in(command, "00000000-0000-0000-0000-000000000000")

        assert result.code == 3, (command, result.err)
        assert "Traceback" not in result.err


@pytest.mark.slow
def test_upload_watch_list_show_download_and_remove_a_recording(
    signed_in: Cli, speech: Path, tmp_path: Path
) -> None:
    folder_id = signed_in("folders", "create", "Planning", "--json").json()["id"]

    uploaded = signed_in(
        "upload", str(speech), "--folder", "Planning", "--language", "en",
        "--summary-length", "short", "--title", "Quarterly planning", "--watch", "--json",
    )  # fmt: skip

    assert uploaded.code == 0, uploaded.err
    [document] = uploaded.json()["documents"]
    assert document["status"] == "DOCUMENT_STATUS_COMPLETED"
    assert document["progress"] == 100
    assert document["folder_id"] == folder_id
    assert document["title"] == "Quarterly planning"
    document_id = document["id"]

    listed = signed_in("ls", "--folder", folder_id, "--status", "completed", "--json").json()
    assert [d["id"] for d in listed["documents"]] == [document_id]
    found = signed_in("ls", "--query", "quarterly", "--json").json()["documents"]
    assert document_id in [d["id"] for d in found]
    assert document_id in signed_in("ls").out

    shown = signed_in("show", document_id, "--json").json()
    assert shown["summary_text"]
    assert "budget" in shown["transcript_text"].lower()
    human = signed_in("show", document_id)
    assert "Quarterly planning" in human.out
    assert "Summary" in human.out
    assert "Planning" in human.out  # the folder's name
    transcript = signed_in("show", document_id, "--transcript")
    assert transcript.out.startswith("[00:0")
    assert "budget" in transcript.out.lower()

    pdf_path = tmp_path / "report.pdf"
    saved = signed_in("download", document_id, "-o", str(pdf_path), "--json")
    assert saved.code == 0, saved.err
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert saved.json()["size_bytes"] == pdf_path.stat().st_size
    assert not list(tmp_path.glob(".*.part"))
    original_dir = tmp_path / "originals"
    original_dir.mkdir()
    original_download = signed_in(
        "download", document_id, "--kind", "original", "-o", str(original_dir)
    )
    assert original_download.code == 0, original_download.err
    [original] = original_dir.iterdir()
    assert original.read_bytes() == speech.read_bytes()

    watched = signed_in("watch", document_id)
    assert watched.code == 0, watched.err
    assert "COMPLETED" in watched.out
    updates = [
        json.loads(line) for line in signed_in("watch", document_id, "--json").out.splitlines()
    ]
    assert updates[-1]["status"] == "DOCUMENT_STATUS_COMPLETED"

    assert signed_in("rm", document_id).code == 0
    gone = signed_in("show", document_id)
    assert gone.code == ExitCode.NOT_FOUND


@pytest.mark.slow
def test_watch_of_a_failed_document_prints_the_reason_and_exits_processing_failed(
    signed_in: Cli, speech: Path, mesh: Mesh
) -> None:
    # As in the pipeline tests: damage the stored original while the transcriber is down, so
    # the job fails for a known reason once it comes back.
    transcriber = mesh.services["transcriber"]
    transcriber.stop()
    try:
        uploaded = signed_in("upload", str(speech), "--json")
        assert uploaded.code == 0, uploaded.err
        document_id = uploaded.json()["documents"][0]["id"]
        objects = mesh.data_dir / "objects" / "uploads"
        [stored] = objects.rglob(f"{document_id}/original.*")
        stored.write_bytes(b"\x00garbage" * 5000)
    finally:
        transcriber.start()

    watched = signed_in("watch", document_id)

    assert watched.code == 9
    assert "FAILED" in watched.out
    assert "could not be decoded" in watched.out
