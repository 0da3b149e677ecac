"""Where results and errors go: rich text for people, JSON for scripts.

Results go to stdout and everything else (progress bars, prompts, errors) to stderr, so
`speechflow ls --json | jq` and `speechflow download ID -o - > talk.pdf` stay clean.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from services.cli.errors import CliError


def message_to_dict(message: Message) -> dict[str, Any]:
    return MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


M = TypeVar("M", bound=Message)


class Output:
    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        # Looked up per run, not at import, so a redirected sys.stdout (tests, pipes) is used.
        self.console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
        self.status_console = Console(file=sys.stderr, highlight=False, soft_wrap=True)

    @property
    def shows_progress(self) -> bool:
        """Bars only for a person at a terminal: redrawn lines would clutter logs and pipes."""
        return not self.json_mode and self.status_console.is_terminal

    def result(self, value: Any, *renderables: RenderableType) -> None:
        """`value` as JSON in --json mode, otherwise the human `renderables`."""
        if self.json_mode:
            self.json(value)
        else:
            for renderable in renderables:
                # Lines of text stay whole (greppable, copyable); tables fit the width.
                self.console.print(renderable, soft_wrap=isinstance(renderable, str))

    def message(self, message: Message, *renderables: RenderableType) -> None:
        """A command's answer that is one message (most often what the server returned): the
        message as JSON in --json mode, otherwise the human `renderables`."""
        self.result(message_to_dict(message), *renderables)

    def listing(
        self,
        key: str,
        messages: Sequence[M],
        table: Callable[[Sequence[M]], RenderableType],
        empty: str,
    ) -> None:
        """A list command's answer: `{key: [...]}` in --json mode (an empty list included);
        otherwise the table, or `empty` (saying what to do next) when nothing is listed."""
        if not messages:
            self.result({key: []}, empty)
        else:
            self.result({key: [message_to_dict(message) for message in messages]}, table(messages))

    def paragraphs(self, paragraphs: Iterable[Text]) -> None:
        """Plain paragraphs with a blank line between them, no borders (people copy them).

        At a terminal they wrap at spaces to its width; piped or redirected, each paragraph
        stays one line, so nothing the reader copies or greps is cut by a hard wrap.
        """
        wrap = self.console.is_terminal
        for number, paragraph in enumerate(paragraphs):
            if number:
                self.console.print()
            self.console.print(paragraph, soft_wrap=not wrap, markup=False, highlight=False)

    def json(self, value: Any) -> None:
        print(json.dumps(value, indent=2, ensure_ascii=False), file=sys.stdout, flush=True)

    def json_line(self, value: Any) -> None:
        """One compact object per line, for streams a script reads as they happen."""
        print(json.dumps(value, ensure_ascii=False), file=sys.stdout, flush=True)

    def say(self, text: str) -> None:
        """A result line for people; scripts get the same facts from the JSON."""
        if not self.json_mode:
            self.console.print(text, soft_wrap=True)

    def note(self, text: str) -> None:
        """A remark for people (never part of the machine-readable output)."""
        if not self.json_mode:
            self.status_console.print(text)

    def error(self, error: CliError) -> None:
        if self.json_mode:
            payload: dict[str, Any] = {
                "message": error.message,
                "exit_code": int(error.exit_code),
            }
            if error.status is not None:
                payload["code"] = error.status.name
            if error.hint:
                payload["hint"] = error.hint
            print(json.dumps({"error": payload}, ensure_ascii=False), file=sys.stderr)
            return
        self.status_console.print(f"[bold red]Error:[/] {escape(error.message)}", markup=True)
        if error.hint:
            self.status_console.print(f"[dim]Hint:[/] {escape(error.hint)}", markup=True)

    def bytes_progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.status_console,
            disable=not self.shows_progress,
        )

    def percent_progress(self) -> Progress:
        return Progress(
            TextColumn("{task.fields[name]}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.description}"),
            console=self.status_console,
            disable=not self.shows_progress,
        )
