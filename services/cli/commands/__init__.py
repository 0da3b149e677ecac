"""Each module adds its subcommands to the parser and holds their handlers.

A handler takes the parsed arguments and the `Context` and returns an exit code.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

# A string: argparse's class is generic only to type checkers.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def positive_int(text: str) -> int:
    """argparse type for --limit."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
