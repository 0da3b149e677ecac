"""Summaries with `speechflow`: decisions, topics and action items in `show`, the summary's
language and template at upload and regenerate, `--notify`, and `templates`."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from services.cli.errors import ExitCode
from services.cli.views import document_view
from services.kernel.transcripts import duration
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests import media
from tests.cli.conftest import Cli

MEETING = (
    "Welcome to the launch meeting. We decided to move the launch to March. "
    "Maria will send the revised plan by Friday."
)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(MEETING, tmp_path_factory.mktemp("cli") / "launch.mp3")


def _shown(document: library_pb2.Document) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(document_view(document, folder_name=""))
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def _lines(shown: str) -> list[str]:
    """The panel's lines without its border."""
    return [line.strip("│ ") for line in shown.splitlines()]


def test_show_lists_decisions_topics_with_times_and_action_items_with_owner_and_due() -> None:
    document = library_pb2.Document(
        id="doc-1",
        title="Launch plan",
        status=library_pb2.DOCUMENT_STATUS_COMPLETED,
        language="en",
        summary_language="fr",
        speaker_count=3,
        summary_text="L’équipe déplace le lancement.",
        summary=library_pb2.DocumentSummary(
            text="L’équipe déplace le lancement.",
            decisions=["Le lancement passe au 3 mars"],
            action_items=[
                library_pb2.ActionItem(text="Send the plan", owner="Maria", due="2026-12-04"),
                library_pb2.ActionItem(text="Book the [venue]", due="next week"),
                library_pb2.ActionItem(text="Check the contract"),
            ],
            topics=[
                library_pb2.Topic(
                    title="Launch date", start_offset=duration(0), end_offset=duration(75.5)
                ),
                library_pb2.Topic(
                    title="Budget", start_offset=duration(75.5), end_offset=duration(3725)
                ),
            ],
            provider="local-llm",
            model="qwen2.5-coder-1.5b",
            built_from_sections=True,
        ),
    )

    shown = _shown(document)

    assert "Decisions" in shown
    assert "• Le lancement passe au 3 mars" in shown
    assert "• Send the plan — Maria, due 2026-12-04" in shown
    assert "• Book the [venue] — due next week" in shown  # printed as said, not as markup
    assert "• Check the contract" in _lines(shown)
    assert "[00:00–01:15] Launch date" in shown
    assert "[01:15–1:02:05] Budget" in shown
    assert "Summary language" in shown
    assert "local-llm / qwen2.5-coder-1.5b" in shown
    assert "Written in sections" in shown


def test_show_of_a_document_summarized_before_structured_summaries_keeps_its_flat_fields() -> None:
    document = library_pb2.Document(
        id="doc-2",
        title="Old",
        summary_text="They decided to hire.",
        key_points=["Hire two engineers"],
        action_items=["Post the job ad (Sam)"],
    )

    shown = _shown(document)

    assert "They decided to hire." in shown
    assert "• Hire two engineers" in shown
    assert "• Post the job ad (Sam)" in shown
    assert "Decisions" not in shown


def test_templates_list_create_update_and_delete(signed_in: Cli) -> None:
    assert signed_in("templates", "list", "--json").json() == {"summary_templates": []}

    created = signed_in(
        "templates", "create", "Lecture notes", "-i", "List the homework.", "--json"
    )
    assert created.code == 0, created.err
    template_id = created.json()["id"]
    signed_in("templates", "create", "1:1", "-i", "Note the follow-ups.")

    listed = signed_in("templates", "list", "--json").json()["summary_templates"]
    assert [t["name"] for t in listed] == ["1:1", "Lecture notes"]
    assert "Lecture notes" in signed_in("templates", "ls").out

    updated = signed_in(
        "templates", "update", "lecture notes", "--instructions", "List the exam dates.", "--json"
    )
    assert updated.code == 0, updated.err
    assert (updated.json()["id"], updated.json()["name"], updated.json()["instructions"]) == (
        template_id,
        "Lecture notes",
        "List the exam dates.",
    )

    taken = signed_in("templates", "update", template_id, "--name", "1:1")
    assert taken.code == ExitCode.CONFLICT

    assert signed_in("templates", "delete", "Lecture notes").code == 0
    remaining = signed_in("templates", "list", "--json").json()["summary_templates"]
    assert [t["name"] for t in remaining] == ["1:1"]
    missing = signed_in("templates", "delete", "Lecture notes")
    assert missing.code == ExitCode.NOT_FOUND


def test_update_without_changes_is_a_usage_error(signed_in: Cli) -> None:
    signed_in("templates", "create", "Sales call", "-i", "Next steps per client.")

    result = signed_in("templates", "update", "Sales call")

    assert result.code == ExitCode.USAGE


def test_upload_with_a_template_nobody_has_exits_not_found(signed_in: Cli, speech: Path) -> None:
    result = signed_in("upload", str(speech), "--template", "No such template")

    assert result.code == ExitCode.NOT_FOUND
    assert signed_in("ls", "--json").json()["documents"] == []


def _versions_emailed(mesh: Mesh, document_id: str, *, at_least: int) -> list[int]:
    """The versions of the document whose completion email is in the outbox, once `at_least`
    are there (or after a minute): the email follows the completion `--watch` returns at."""
    deadline = time.monotonic() + 60
    while True:
        emails = (mesh.data_dir / "outbox").glob(f"{document_id}-v*-completion-email*")
        versions = sorted(int(p.name[len(document_id) + 2 :].split("-", 1)[0]) for p in emails)
        if len(versions) >= at_least or time.monotonic() > deadline:
            return versions
        time.sleep(0.2)


@pytest.mark.slow
def test_upload_and_regenerate_with_summary_language_template_and_notify(
    signed_in: Cli, speech: Path, mesh: Mesh
) -> None:
    signed_in("templates", "create", "Launch", "-i", "List who does what by when.")
    uploaded = signed_in(
        "upload", str(speech), "--language", "en", "--summary-language", "en",
        "--template", "launch", "--watch", "--json",
    )  # fmt: skip
    assert uploaded.code == 0, uploaded.err
    [document] = uploaded.json()["documents"]
    template_id = signed_in("templates", "list", "--json").json()["summary_templates"][0]["id"]
    assert (document["language"], document["summary_language"]) == ("en", "en")
    assert document["summary_template_id"] == template_id
    assert _versions_emailed(mesh, document["id"], at_least=1) == [1]

    quiet = signed_in("regenerate", document["id"], "--summary-length", "long", "--watch", "--json")
    assert quiet.code == 0, quiet.err
    assert quiet.json()["status"] == "DOCUMENT_STATUS_COMPLETED"

    asked = signed_in("regenerate", document["id"], "--notify", "--watch", "--json")
    assert asked.code == 0, asked.err
    assert asked.json()["language"] == "en"
    assert asked.json()["summary_template_id"] == template_id
    # A regenerate emails only when asked: the quiet one's version never gets an email.
    emailed = _versions_emailed(mesh, document["id"], at_least=2)
    assert emailed == [1, int(asked.json()["version"])], emailed
    shown = signed_in("show", document["id"])
    assert "Template" in shown.out
