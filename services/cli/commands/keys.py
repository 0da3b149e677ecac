"""`keys create|list|revoke`: API keys for scripts and services (`Authorization: Bearer sf_…`)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from rich.markup import escape
from rich.table import Table

from services.cli.commands import Commands
from services.cli.context import Context
from services.cli.errors import CliError, ExitCode
from services.cli.views import ID_WIDTH, last_use, plain_table, when
from speechflow.auth.v1 import auth_pb2


def add_commands(commands: Commands) -> None:
    keys = commands.group("keys", help="create, list and revoke API keys for scripts")
    create = keys.add("create", create_command, help="create an API key (its secret is shown once)")
    create.add_argument("name", metavar="NAME", help="what the key is for, e.g. 'nightly backup'")
    keys.add("list", list_command, help="list API keys", aliases=["ls"])
    revoke = keys.add("revoke", revoke_command, help="revoke an API key at once", aliases=["rm"])
    revoke.add_argument("key", metavar="ID", help="the key's id (or its exact name)")


def keys_table(keys: Iterable[auth_pb2.ApiKey]) -> Table:
    table = plain_table()
    # Narrow terminals fold the id before the name: the name is what a person looks for.
    table.add_column("Name", overflow="fold", min_width=16, ratio=1)
    table.add_column("ID", overflow="fold", max_width=ID_WIDTH)
    table.add_column("Key", no_wrap=True)
    table.add_column("Created")
    table.add_column("Last used")
    for key in keys:
        table.add_row(
            escape(key.name), key.id, f"{key.prefix}…", when(key.create_time), last_use(key)
        )
    return table


def _all_keys(context: Context) -> list[auth_pb2.ApiKey]:
    session = context.session
    response = session.unary(session.auth.ListApiKeys, auth_pb2.ListApiKeysRequest())
    return list(response.api_keys)


def create_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    created = session.unary(session.auth.CreateApiKey, auth_pb2.CreateApiKeyRequest(name=args.name))
    context.output.message(
        created,
        f"Created API key [bold]{escape(created.api_key.name)}[/] ({created.api_key.id}).\n"
        f"Its secret, shown only this once (store it somewhere safe):\n\n"
        f"  {escape(created.secret)}\n\n"
        "Send it as `Authorization: Bearer <secret>`; `speechflow keys revoke "
        f"{created.api_key.id}` ends it.",
    )
    return ExitCode.OK


def list_command(args: argparse.Namespace, context: Context) -> int:
    keys = _all_keys(context)
    context.output.listing(
        "api_keys", keys, keys_table, "No API keys yet; `speechflow keys create NAME` makes one."
    )
    return ExitCode.OK


def revoke_command(args: argparse.Namespace, context: Context) -> int:
    keys = _all_keys(context)
    matches = [k for k in keys if k.id == args.key] or [k for k in keys if k.name == args.key]
    if len(matches) != 1:
        problem = "Several API keys are" if matches else "No API key is"
        raise CliError(
            f"{problem} named {args.key!r}.",
            ExitCode.NOT_FOUND if not matches else ExitCode.USAGE,
            hint="`speechflow keys list` shows their ids.",
        )
    key = matches[0]
    session = context.session
    session.unary(session.auth.RevokeApiKey, auth_pb2.RevokeApiKeyRequest(api_key_id=key.id))
    context.output.result(
        {"revoked_api_key_id": key.id}, f"Revoked API key {escape(key.name)} ({key.id})"
    )
    return ExitCode.OK
