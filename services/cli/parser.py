"""The `speechflow` command line: global options and every subcommand."""

from __future__ import annotations

import argparse

from services.cli.commands import (
    Commands,
    account,
    documents,
    folders,
    jobs,
    keys,
    search,
    share,
    templates,
    webhooks,
)
from services.cli.server import DEFAULT_SERVER, SERVER_ENVIRONMENT_VARIABLE

EPILOG = """\
exit codes:
  0 ok · 1 other error · 2 usage or invalid argument · 3 not found
  4 not signed in or not allowed · 5 server unavailable or too slow
  6 already exists or conflict · 7 too large or rate-limited · 8 failed precondition
  9 processing failed (--watch, watch) · 130 interrupted
"""


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    # Subcommands repeat the global options with SUPPRESS defaults, so `speechflow ls --json`
    # and `speechflow --json ls` both work without one overwriting the other.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--server",
        metavar="URL",
        default=None if defaults else argparse.SUPPRESS,
        help=f"SpeechFlow edge (env {SERVER_ENVIRONMENT_VARIABLE}; default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="machine-readable output, no progress bars",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speechflow",
        description="Upload recordings to SpeechFlow and get transcripts, summaries and PDFs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(defaults=True)],
    )
    commands = Commands(
        parser.add_subparsers(dest="command", metavar="COMMAND"), _common_options(defaults=False)
    )
    for module in (account, documents, folders, jobs, search, templates, keys, webhooks, share):
        module.add_commands(commands)
    return parser
