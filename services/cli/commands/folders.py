"""`folders ls|create|rename|rm`, and turning a folder name or id into a folder."""

from __future__ import annotations

import argparse

from google.protobuf.field_mask_pb2 import FieldMask
from rich.markup import escape

from services.cli.commands import Commands
from services.cli.context import Context
from services.cli.errors import ExitCode
from services.cli.paging import MAX_PAGE_SIZE, NamedList
from services.cli.views import folders_table
from speechflow.library.v1 import library_pb2


def add_commands(commands: Commands) -> None:
    folders = commands.group("folders", help="list and manage folders")
    folders.add("ls", FOLDERS.list_command, help="list folders")
    create = folders.add("create", create_command, help="create a folder")
    create.add_argument("name", metavar="NAME")
    rename = folders.add("rename", rename_command, help="rename a folder")
    rename.add_argument("folder", metavar="FOLDER", help="folder id or current name")
    rename.add_argument("name", metavar="NAME", help="new name")
    remove = folders.add(
        "rm", remove_command, help="delete a folder (its documents stay, with no folder)"
    )
    remove.add_argument("folder", metavar="FOLDER", help="folder id or name")


FOLDERS: NamedList[library_pb2.ListFoldersResponse, library_pb2.Folder] = NamedList(
    kind="folder",
    fetch_page=lambda session, token: session.unary(
        session.library.ListFolders,
        library_pb2.ListFoldersRequest(page_size=MAX_PAGE_SIZE, page_token=token),
    ),
    items_of=lambda page: page.folders,
    json_key="folders",
    table=folders_table,
    when_empty="No folders yet; `speechflow folders create NAME` adds one.",
    when_not_found="`speechflow folders ls` lists them; `speechflow folders create NAME` adds one.",
)


def create_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.CreateFolderRequest(folder=library_pb2.Folder(name=args.name))
    folder = session.unary(session.library.CreateFolder, request).folder
    context.output.message(folder, f"Created folder [bold]{escape(folder.name)}[/] ({folder.id})")
    return ExitCode.OK


def rename_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    current = FOLDERS.pick(session, args.folder)
    request = library_pb2.UpdateFolderRequest(
        folder=library_pb2.Folder(id=current.id, name=args.name),
        update_mask=FieldMask(paths=["name"]),
    )
    folder = session.unary(session.library.UpdateFolder, request).folder
    context.output.message(
        folder,
        f"Renamed {escape(current.name)} to [bold]{escape(folder.name)}[/]",
    )
    return ExitCode.OK


def remove_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    folder = FOLDERS.pick(session, args.folder)
    session.unary(
        session.library.DeleteFolder, library_pb2.DeleteFolderRequest(folder_id=folder.id)
    )
    context.output.result(
        {"deleted_folder_id": folder.id}, f"Deleted folder {escape(folder.name)} ({folder.id})"
    )
    return ExitCode.OK
