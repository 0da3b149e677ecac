"""`templates ls|create|update|rm`: the caller's summary templates, and turning a template
name or id into a template (for `upload --template` and `regenerate --template`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf.field_mask_pb2 import FieldMask
from rich.markup import escape

from services.cli.commands import Subcommands
from services.cli.context import Context
from services.cli.errors import CliError, ExitCode
from services.cli.output import message_to_dict
from services.cli.paging import MAX_PAGE_SIZE, every_item, pick_by_id_or_name
from services.cli.session import Session
from services.cli.views import templates_table
from speechflow.library.v1 import library_pb2


def add_commands(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    templates = commands.add_parser(
        "templates", parents=[common], help="list and manage summary templates"
    )
    actions = templates.add_subparsers(dest="templates_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", aliases=["ls"], parents=[common], help="list templates")
    listing.set_defaults(handler=list_command)

    create = actions.add_parser("create", parents=[common], help="create a template")
    create.add_argument("name", metavar="NAME")
    _instructions_options(create, required=True)
    create.set_defaults(handler=create_command)

    update = actions.add_parser("update", parents=[common], help="rename or re-word a template")
    update.add_argument("template", metavar="TEMPLATE", help="template id or name")
    update.add_argument("--name", help="new name")
    _instructions_options(update, required=False)
    update.set_defaults(handler=update_command)

    remove = actions.add_parser(
        "delete",
        aliases=["rm"],
        parents=[common],
        help="delete a template (documents keep their summaries)",
    )
    remove.add_argument("template", metavar="TEMPLATE", help="template id or name")
    remove.set_defaults(handler=delete_command)


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


def all_templates(session: Session) -> list[library_pb2.SummaryTemplate]:
    return every_item(
        lambda token: session.unary(
            session.library.ListSummaryTemplates,
            library_pb2.ListSummaryTemplatesRequest(page_size=MAX_PAGE_SIZE, page_token=token),
        ),
        lambda page: page.summary_templates,
    )


def resolve_template(session: Session, name_or_id: str) -> library_pb2.SummaryTemplate:
    """The template with this id, else with this name (exact, then ignoring case)."""
    return pick_by_id_or_name(
        all_templates(session),
        name_or_id,
        kind="summary template",
        hint="`speechflow templates list` shows them; `speechflow templates create` adds one.",
    )


def list_command(args: argparse.Namespace, context: Context) -> int:
    templates = all_templates(context.session)
    context.output.listing(
        "summary_templates",
        templates,
        templates_table,
        "No summary templates yet; `speechflow templates create NAME -i TEXT` adds one.",
    )
    return ExitCode.OK


def create_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.CreateSummaryTemplateRequest(
        summary_template=library_pb2.SummaryTemplate(
            name=args.name, instructions=_instructions(args) or ""
        )
    )
    template = session.unary(session.library.CreateSummaryTemplate, request).summary_template
    context.output.result(
        message_to_dict(template),
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
    current = resolve_template(session, args.template)
    request = library_pb2.UpdateSummaryTemplateRequest(
        summary_template=library_pb2.SummaryTemplate(
            id=current.id, name=args.name or "", instructions=instructions or ""
        ),
        update_mask=FieldMask(paths=paths),
    )
    template = session.unary(session.library.UpdateSummaryTemplate, request).summary_template
    context.output.result(
        message_to_dict(template), f"Updated template [bold]{escape(template.name)}[/]"
    )
    return ExitCode.OK


def delete_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    template = resolve_template(session, args.template)
    session.unary(
        session.library.DeleteSummaryTemplate,
        library_pb2.DeleteSummaryTemplateRequest(summary_template_id=template.id),
    )
    context.output.result(
        {"deleted_summary_template_id": template.id},
        f"Deleted template {escape(template.name)} ({template.id})",
    )
    return ExitCode.OK
