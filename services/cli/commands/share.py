"""`share create|list|revoke`: read-only links to one document that work without an account."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from rich.table import Table

from services.cli.commands import Commands
from services.cli.context import Context
from services.cli.errors import ExitCode
from services.cli.views import ID_WIDTH, last_use, plain_table, when
from speechflow.library.v1 import library_pb2

_TTL = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def ttl(text: str) -> timedelta:
    """argparse type for --ttl: `30m`, `12h`, `7d`, `2w` (the server checks the bounds)."""
    match = _TTL.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError("use a number and a unit: 30m, 12h, 7d or 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_commands(commands: Commands) -> None:
    share = commands.group("share", help="share a document read-only with a link (no account)")
    create = share.add("create", create_command, help="make a share link (its URL is shown once)")
    create.add_argument("document", metavar="DOCUMENT_ID")
    create.add_argument(
        "--ttl",
        type=ttl,
        default=None,
        metavar="DURATION",
        help="how long the link works: 30m, 12h, 7d (default), up to 90d",
    )
    listing = share.add("list", list_command, help="list a document's share links", aliases=["ls"])
    listing.add_argument("document", metavar="DOCUMENT_ID")
    revoke = share.add(
        "revoke", revoke_command, help="end a share link's access at once", aliases=["rm"]
    )
    revoke.add_argument("link", metavar="ID", help="the share link's id (`share list` shows it)")


def links_table(links: Iterable[library_pb2.ShareLink]) -> Table:
    """Fits 80 columns with whole ids (people copy them to revoke); `--json` has the rest."""
    table = plain_table()
    table.add_column("ID", no_wrap=True, min_width=ID_WIDTH)
    table.add_column("State", no_wrap=True)
    table.add_column("Expires", no_wrap=True)
    table.add_column("Last used", overflow="fold")
    for link in links:
        state = "[red]revoked[/]" if link.revoked else "active"
        table.add_row(link.id, state, when(link.expire_time), last_use(link))
    return table


def create_command(args: argparse.Namespace, context: Context) -> int:
    request = library_pb2.CreateShareLinkRequest(document_id=args.document)
    if args.ttl is not None:
        request.ttl.CopyFrom(_duration(args.ttl))
    session = context.session
    link = session.unary(session.library.CreateShareLink, request).share_link
    context.output.message(
        link,
        f"Anyone with this link can read the document until {when(link.expire_time)}:\n\n"
        f"  {link.url}\n\n"
        f"Add ?format=txt (srt, vtt, json, md, docx) to download an export. It is shown only "
        f"this once; `speechflow share revoke {link.id}` ends it.",
    )
    return ExitCode.OK


def list_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.ListShareLinksRequest(document_id=args.document)
    links = session.unary(session.library.ListShareLinks, request).share_links
    empty = f"No share links yet; `speechflow share create {args.document}` makes one."
    context.output.listing("share_links", links, links_table, empty)
    return ExitCode.OK


def revoke_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = library_pb2.RevokeShareLinkRequest(share_link_id=args.link)
    link = session.unary(session.library.RevokeShareLink, request).share_link
    context.output.message(link, f"Revoked share link {link.id}")
    return ExitCode.OK


def _duration(value: timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration
