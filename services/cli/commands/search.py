"""`search`: ranked full-text search over titles, summaries and transcripts."""

from __future__ import annotations

import argparse

from rich.text import Text

from services.cli.commands import Commands, positive_int
from services.cli.commands.folders import FOLDERS
from services.cli.context import Context
from services.cli.errors import ExitCode
from services.cli.output import message_to_dict
from services.cli.paging import first_items
from services.kernel.transcripts import clock, seconds
from speechflow.library.v1 import library_pb2

# Only shown at a terminal: piped output carries no styles, so the words stay plain text.
MATCH_STYLE = "bold yellow"


def add_commands(commands: Commands) -> None:
    search = commands.add(
        "search",
        search_command,
        help="find documents by words in their title, summary or transcript, best first",
        description=(
            'All words must be found; "quoted phrases" as written; the last word also '
            "matches longer words it starts."
        ),
    )
    search.add_argument("query", metavar="WORDS", help='e.g. budget "next year"')
    search.add_argument("--folder", metavar="NAME_OR_ID", help="only this folder")
    search.add_argument("--limit", type=positive_int, default=10, help="at most this many (10)")


def search_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    folder_id = FOLDERS.pick(session, args.folder).id if args.folder else ""
    results = first_items(
        args.limit,
        lambda token, size: session.unary(
            session.library.SearchDocuments,
            library_pb2.SearchDocumentsRequest(
                query=args.query, folder_id=folder_id, page_size=size, page_token=token
            ),
        ),
        lambda page: page.results,
    )
    if context.output.json_mode:
        context.output.json({"results": [message_to_dict(result) for result in results]})
    elif not results:
        context.output.result(None, "No documents match.")
    else:
        context.output.paragraphs(result_paragraph(result) for result in results)
    return ExitCode.OK


def result_paragraph(result: library_pb2.SearchResult) -> Text:
    """The title (its matches emphasized) and id, then each passage with when it was said:

    Quarterly budget review  6f1c…
      [01:05] The budget for next year is tight.
    """
    document = result.document
    title = document.title or document.original_file_name
    passages = list(result.snippets)
    of_title = [s for s in passages if not s.HasField("start_offset") and s.text == title]
    line = emphasized(of_title[0]) if of_title else Text(title)
    line.stylize("bold")
    line.append(f"  {document.id}", style="dim")
    for snippet in passages:
        if of_title and snippet == of_title[0]:
            continue
        line.append("\n  ")
        if snippet.HasField("start_offset"):
            line.append(f"[{clock(seconds(snippet.start_offset))}]", style="dim").append(" ")
        line.append_text(emphasized(snippet))
    return line


def emphasized(snippet: library_pb2.SearchSnippet) -> Text:
    text = Text(snippet.text)
    for found in snippet.highlights:
        text.stylize(MATCH_STYLE, found.start, found.end)
    return text
