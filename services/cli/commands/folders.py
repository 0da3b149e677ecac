"""`folders ls|create|rename|rm`, and turning a folder name or id into a folder."""

from __future__ import annotations

import argparse

from google.protobuf.field_mask_pb2 import FieldMask
from rich.markup import escape

from services.cli.commands import Subcommands
from services.cli.context import Context
from services.cli.errors import ExitCode
from services.cli.output import message_to_dict
from services.cli.paging import MAX_PAGE_SIZE, every_item, pick_by_id_or_name
from services.cli.session import Session
from services.cli.views import folders_table
from speechflow.library.v1 import library_pb2


def add_commands(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    folders = commands.add_parser("folders", parents=[common], help="list and manage folders")
    actions = folders.add_subparsers(dest="folders_action", metavar="ACTION", required=True)
    listing = actions.add_parser("ls", parents=[common], help="list folders")
    listing.set_defaults(handler=list_command)
    create = actions.add_parser("create", parents=[common], help="create a folder")
    create.add_argument("name", metavar="NAME")
    create.set_defaults(handler=create_command)
    rename = actions.add_parser("rename", parents=[common], help="rename a folder")
    rename.add_argument("folder", metavar="FOLDER", help="folder id or current name")
    rename.add_argument("name", metavar="NAME", help="new name")
    rename.set_defaults(handler=rename_command)
    remove = actions.add_parser(
        "rm", parents=[common], help="delete a folder (its documents stay, with no folder)"
    )
    remove.add_argument("folder", metavar="FOLDER", help="folder id or name")
    remove.set_defaults(handler=remove_command)


def all_folders(session: Session) -> list[library_pb2.Folder]:
    return every_item(
        lambda token: session.unary(
            session.library.ListFolders,
            library_pb2.ListFoldersRequest(page_size=MAX_PAGE_SIZE, page_token=token),
        ),
        lambda page: page.folders,
    )


def resolve_folder(session: Session, name_or_id: str) -> library_pb2.Folder:
    """The folder with this id, else with this name (exact, then ignoring case)."""
    return pick_by_id_or_name(
        all_folders(session),
        name_or_id,
        kind="folder",
        hint="`speechflow folders ls` lists them; `speechflow folders create NAME` adds one.",
    )


def list_command(args: argparse.Namespace, context: Context) -> int:
    folders = all_folders(context.session)
    context.output.listing(
        "folders",
        folders,
        folders_table,
        "No folders yet; `speechflow folders create NAME` adds one.",
    )
    return ExitCode.OK


def create_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name=args.name))
    folder = session.unary(session.library.CreateFolder, request).folder
    context.output.result(
        message_to_dict(folder), f"Created folder [bold]{escape(folder.name)}[/] ({folder.id})"
    )
    return ExitCode.OK


def rename_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    current = resolve_folder(session, args.folder)
    request = library_pb2.UpdateFolderRequest(
        folder=library_pb2.Folder(id=current.id, name=args.name),
        update_mask=FieldMask(paths=["name"]),
    )
    folder = session.unary(session.library.UpdateFolder, request).folder
    context.output.result(
        message_to_dict(folder),
        f"Renamed {escape(current.name)} to [bold]{escape(folder.name)}[/]",
    )
    return ExitCode.OK


def remove_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    folder = resolve_folder(session, args.folder)
    session.unary(
        session.library.DeleteFolder, library_pb2.DeleteFolderRequest(folder_id=folder.id)
    )
    context.output.result(
        {"deleted_folder_id": folder.id}, f"Deleted folder {escape(folder.name)} ({folder.id})"
    )
    return ExitCode.OK
