"""`speechflow search`: titles and ids, each passage with its time, matches emphasized only
at a terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from services.cli.commands.search import result_paragraph
from services.cli.errors import ExitCode
from services.cli.output import Output
from services.kernel.transcripts import duration
from speechflow.library.v1 import library_pb2
from tests import media
from tests.cli.conftest import Cli

ANSI = "\x1b["
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
RESULT = library_pb2.SearchResult(
    document=library_pb2.Document(id="6f1c0a52-0000-4000-8000-000000000001", title="Budget review"),
    snippets=[
        library_pb2.SearchSnippet(
            text="Budget review", highlights=[library_pb2.TextRange(start=0, end=6)]
        ),
        library_pb2.SearchSnippet(
            text="The budget for next year is tight.",
            start_offset=duration(65.5),
            highlights=[library_pb2.TextRange(start=4, end=10)],
        ),
        library_pb2.SearchSnippet(
            text="We agreed on the budget.", highlights=[library_pb2.TextRange(start=17, end=23)]
        ),
    ],
    score=1.0,
)


def _printed(terminal: bool) -> str:
    output = Output(json_mode=False)
    # As Output's own console: colours only where it finds a terminal.
    output.console = Console(
        file=io.StringIO(),
        force_terminal=terminal,
        width=100,
        color_system="standard" if terminal else "auto",
    )
    output.paragraphs([result_paragraph(RESULT)])
    console_file = output.console.file
    assert isinstance(console_file, io.StringIO)
    return console_file.getvalue()


def test_piped_results_are_plain_lines_with_the_time_of_each_passage() -> None:
    printed = _printed(terminal=False)

    assert printed.splitlines() == [
        "Budget review  6f1c0a52-0000-4000-8000-000000000001",
        "  [01:05] The budget for next year is tight.",
        "  We agreed on the budget.",
    ]
    assert ANSI not in printed


def test_at_a_terminal_the_matching_words_are_emphasized() -> None:
    printed = _printed(terminal=True)

    assert "\x1b[1;33mbudget\x1b[0m" in printed
    assert ANSI_CODE.sub("", printed) == _printed(terminal=False)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "Welcome to the planning meeting.", tmp_path_factory.mktemp("search") / "talk.wav"
    )


def test_search_finds_a_document_by_its_title_with_json_for_scripts(
    signed_in: Cli, speech: Path
) -> None:
    uploaded = signed_in("upload", str(speech), "--title", "Quarterly zeppelin review", "--json")
    assert uploaded.code == 0, uploaded.err
    document_id = uploaded.json()["documents"][0]["id"]

    found = signed_in("search", "zeppel")
    as_json = signed_in("search", "zeppelin", "--json")
    nothing = signed_in("search", "submarine")

    assert found.code == 0, found.err
    assert found.out.splitlines() == [f"Quarterly zeppelin review  {document_id}"]
    assert as_json.code == 0, as_json.err
    [result] = as_json.json()["results"]
    assert result["document"]["id"] == document_id
    assert result["snippets"][0]["text"] == "Quarterly zeppelin review"
    assert result["snippets"][0]["highlights"] == [{"start": 10, "end": 18}]
    assert (nothing.code, nothing.out.strip()) == (0, "No documents match.")


def test_a_search_with_no_words_exits_invalid_argument(signed_in: Cli) -> None:
    result = signed_in("search", '" - *')

    assert result.code == ExitCode.USAGE
    assert "no words" in result.err
