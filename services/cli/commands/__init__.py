"""Each module adds its subcommands to the parser and holds their handlers.

A handler takes the parsed arguments and the `Context` and returns an exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TypeAlias

from services.cli.context import Context

# A string: argparse's class is generic only to type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler: TypeAlias = Callable[[argparse.Namespace, Context], int]


class Commands:
    """The subcommands of `speechflow` (or of one of its command groups). Every one also takes
    the global options (`common`), so `speechflow ls --json` works like `speechflow --json ls`."""

    def __init__(self, subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
        self._subparsers = subparsers
        self._common = common

    def add(
        self,
        name: str,
        handler: Handler,
        help: str,
        *,
        aliases: Sequence[str] = (),
        options: Sequence[argparse.ArgumentParser] = (),
        description: str | None = None,
    ) -> argparse.ArgumentParser:
        """A command that runs `handler`, with the shared `options` parsers' arguments if any;
        the caller adds its own arguments to the parser returned."""
        parser = self._subparsers.add_parser(
            name,
            aliases=list(aliases),
            parents=[self._common, *options],
            help=help,
            description=description,
        )
        parser.set_defaults(handler=handler)
        return parser

    def group(self, name: str, help: str) -> Commands:
        """`speechflow NAME ACTION …`: a command whose actions are commands of their own."""
        parser = self._subparsers.add_parser(name, parents=[self._common], help=help)
        actions = parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", required=True)
        return Commands(actions, self._common)


def positive_int(text: str) -> int:
    """argparse type for --limit."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
