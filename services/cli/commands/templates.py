"""`templates ls|create|update|rm`: the caller's summary templates, and turning a template
name or id into a template (for `upload --template` and `regenerate --template`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf.field_mask_pb2 import FieldMask
from rich.markup import escape

from services.cli.commands import Commands
from services.cli.context import Context
from services.cli.errors import CliError, ExitCode
from services.cli.paging import MAX_PAGE_SIZE, NamedList
from services.cli.views import templates_table
from speechflow.library.v1 import library_pb2


def add_commands(commands: Commands) -> None:
    templates = commands.group("templates", help="list and manage summary templates")
    templates.add("list", TEMPLATES.list_command, help="list templates", aliases=["ls"])

    create = templates.add("create", create_command, help="create a template")
    create.add_argument("name", metavar="NAME")
    _instructions_options(create, required=True)

    update = templates.add("update", update_command, help="rename or re-word a template")
    update.add_argument("template", metavar="TEMPLATE", help="template id or name")
    update.add_argument("--name", help="new name")
    _instructions_options(update, required=False)

    remove = templates.add(
        "delete",
        delete_command,
        help="delete a template (documents keep their summaries)",
        aliases=["rm"],
    )
    remove.add_argument("template", metavar="TEMPLATE", help="template id or name")


def _instructions_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    given = parser.add_mutually_exclusive_group(required=required)
    given.add_argument(
        "--instructions", "-i", help='what the summary should contain ("List the homework")'
    )
    given.add_argument(
        "--instructions-file",
        metavar="PATH",
        type=Path,
        help="read the instructions from a file (- for stdin)",
    )


def _instructions(args: argparse.Namespace) -> str | None:
    if args.instructions is not None:
        return str(args.instructions)
    path: Path | None = args.instructions_file
    if path is None:
        return None
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"Cannot read {path}: {error.strerror}", ExitCode.USAGE) from None


TEMPLATES: NamedList[library_pb2.ListSummaryTemplatesResponse, library_pb2.SummaryTemplate] = (
    NamedList(
        kind="summary template",
        fetch_page=lambda session, token: session.unary(
            session.library.ListSummaryTemplates,
            library_pb2.ListSummaryTemplatesRequest(page_size=MAX_PAGE_SIZE, page_token=token),
        ),
        items_of=lambda page: page.summary_templates,
        json_key="summary_templates",
        table=templates_table,
        when_empty="No summary templates yet; `speechflow templates create NAME -i TEXT` adds one.",
        when_not_found=(
            "`speechflow templates list` shows them; `speechflow templates create` adds one."
        ),
    )
)


def create_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.CreateSummaryTemplateRequest(
        summary_template=library_pb2.SummaryTemplate(
            name=args.name, instructions=_instructions(args) or ""
        )
    )
    template = session.unary(session.library.CreateSummaryTemplate, request).summary_template
    context.output.message(
        template,
        f"Created template [bold]{escape(template.name)}[/] ({template.id})",
    )
    return ExitCode.OK


def update_command(args: argparse.Namespace, context: Context) -> int:
    instructions = _instructions(args)
    paths = [
        path
        for path, value in (("name", args.name), ("instructions", instructions))
        if value is not None
    ]
    if not paths:
        raise CliError("Say what to change: --name and/or --instructions.", ExitCode.USAGE)
    session = context.session
    current = TEMPLATES.pick(session, args.template)
    request = library_pb2.UpdateSummaryTemplateRequest(
        summary_template=library_pb2.SummaryTemplate(
            id=current.id, name=args.name or "", instructions=instructions or ""
        ),
        update_mask=FieldMask(paths=paths),
    )
    template = session.unary(session.library.UpdateSummaryTemplate, request).summary_template
    context.output.message(template, f"Updated template [bold]{escape(template.name)}[/]")
    return ExitCode.OK


def delete_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    template = TEMPLATES.pick(session, args.template)
    session.unary(
        session.library.DeleteSummaryTemplate,
        library_pb2.DeleteSummaryTemplateRequest(summary_template_id=template.id),
    )
    context.output.result(
        {"deleted_summary_template_id": template.id},
        f"Deleted template {escape(template.name)} ({template.id})",
    )
    return ExitCode.OK
