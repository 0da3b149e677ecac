"""How results look to people: rich tables and detail views of the contract's messages."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from rich import box
from rich.console import Group, RenderableType
from rich.filesize import decimal
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from services.cli.labels import DOCUMENT_STATUS, JOB_STATUS, STAGE, SUMMARY_LENGTH, styled
from services.kernel.transcripts import clock, seconds, turns
from speechflow.auth.v1 import auth_pb2
from speechflow.library.v1 import library_pb2

ID_WIDTH = 36  # a UUID


def when(timestamp: Timestamp) -> str:
    if not timestamp.seconds and not timestamp.nanos:
        return ""
    return timestamp.ToDatetime().astimezone().strftime("%Y-%m-%d %H:%M")


def how_long(duration: Duration) -> str:
    seconds = round(duration.ToTimedelta().total_seconds())
    if not seconds:
        return ""
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def last_use(resource: auth_pb2.ApiKey | library_pb2.ShareLink) -> str:
    """When an API key or a share link was last used, or "never"."""
    return when(resource.last_use_time) if resource.HasField("last_use_time") else "never"


def plain_table() -> Table:
    """The borderless table of the account's keys, share links and webhooks: bold headers and
    nothing around the cells, so ids and URLs copy cleanly."""
    return Table(box=None, header_style="bold", pad_edge=False)


def user_line(user: auth_pb2.User) -> str:
    role = auth_pb2.Role.Name(user.role).removeprefix("ROLE_").lower()
    name = f" ({escape(user.name)})" if user.name else ""
    return f"[bold]{escape(user.email)}[/]{name} · {role}"


def documents_table(documents: Iterable[library_pb2.Document]) -> Table:
    """ID, title, status and day: fits 80 columns with whole ids (people copy them)."""
    table = _table()
    table.add_column("ID", no_wrap=True, min_width=ID_WIDTH)
    table.add_column("Title", overflow="fold", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Created", no_wrap=True)
    for document in documents:
        status = styled(DOCUMENT_STATUS.label(document.status))
        if document.status == library_pb2.DOCUMENT_STATUS_PROCESSING:
            status += f" {document.progress}%"
        table.add_row(
            document.id,
            escape(document.title or document.original_file_name),
            status,
            when(document.create_time)[:10],
        )
    return table


def document_view(document: library_pb2.Document, folder_name: str) -> RenderableType:
    status = styled(DOCUMENT_STATUS.label(document.status))
    if document.status == library_pb2.DOCUMENT_STATUS_PROCESSING:
        stage = STAGE.label(document.stage)
        status += f" {document.progress}%" + (f" ({stage})" if stage else "")
    facts = _facts(
        [
            ("ID", document.id),
            ("Status", status),
            ("File", escape(document.original_file_name)),
            ("Size", decimal(document.size_bytes)),
            ("Length", how_long(document.duration)),
            ("Folder", escape(folder_name)),
            ("Language", document.language or document.detected_language),
            ("Speakers", str(document.speaker_count) if document.speaker_count else ""),
            ("Summary language", document.summary_language),
            ("Summary length", SUMMARY_LENGTH.label(document.summary_length)),
            ("Template", document.summary_template_id),
            ("Summarized by", _summarized_by(document.summary)),
            ("Created", when(document.create_time)),
            ("Processed", when(document.process_time)),
            ("Error", _error(document.error_message)),
        ]
    )
    parts: list[RenderableType] = [facts, *summary_parts(document)]
    title = escape(document.title or document.original_file_name)
    return Panel(Group(*parts), title=f"[bold]{title}[/]", title_align="left")


def summary_parts(document: library_pb2.Document) -> list[RenderableType]:
    """Summary, key points, decisions, action items (owner, due) and topics (with times).
    Documents summarized before the structured summary existed show their flat fields."""
    summary = document.summary
    text = summary.text or document.summary_text
    parts: list[RenderableType] = []
    if text:
        parts += [Text("\nSummary", style="bold"), Text(text)]
    if summary.built_from_sections:
        parts.append(
            Text("Written in sections: the transcript was longer than the model reads.", "dim")
        )
    parts += _bullets("Key points", summary.key_points or document.key_points)
    parts += _bullets("Decisions", summary.decisions)
    if summary.action_items:
        parts += _bullets("Action items", [action_item_line(a) for a in summary.action_items])
    else:
        parts += _bullets("Action items", document.action_items)
    parts += _bullets("Topics", [topic_line(t) for t in summary.topics])
    return parts


def action_item_line(item: library_pb2.ActionItem) -> str:
    """`Send the plan — Maria, due 2026-12-04`: the parts the meeting made clear."""
    details = ", ".join(
        part for part in (item.owner, f"due {item.due}" if item.due else "") if part
    )
    return f"{item.text} — {details}" if details else item.text


def topic_line(topic: library_pb2.Topic) -> str:
    start, end = seconds(topic.start_offset), seconds(topic.end_offset)
    return f"[{clock(start)}–{clock(max(start, end))}] {topic.title}"


def _summarized_by(summary: library_pb2.DocumentSummary) -> str:
    return escape(" / ".join(part for part in (summary.provider, summary.model) if part))


def transcript_paragraphs(transcript: library_pb2.Transcript) -> list[Text]:
    """`[00:12] Speaker 1: words…`, one paragraph per speaker turn, as people copy it.

    With one voice there are no turns to tell apart: each segment is a paragraph of its own
    and no name is printed (it would be "Speaker 1" on every line).
    """
    found = turns(transcript)
    if len({turn.speaker_id for turn in found}) > 1:
        return [_timed(turn.start, turn.text, turn.speaker) for turn in found]
    return [
        _timed(seconds(segment.start_offset), segment.text.strip(), "")
        for segment in transcript.segments
        if segment.text.strip()
    ]


def _timed(start: float, text: str, speaker: str) -> Text:
    line = Text.assemble((f"[{clock(start)}]", "dim"), " ")
    if speaker:
        line.append(f"{speaker}:", style="bold").append(" ")
    return line.append(text)


def _bullets(heading: str, items: Iterable[str]) -> list[RenderableType]:
    # Text, not markup: summaries quote people, and "[x]" must print as said.
    lines = [Text(f"• {item}") for item in items]
    return [Text(f"\n{heading}", style="bold"), *lines] if lines else []


def folders_table(folders: Iterable[library_pb2.Folder]) -> Table:
    table = _table()
    table.add_column("ID", no_wrap=True, min_width=ID_WIDTH)
    table.add_column("Name", overflow="fold", ratio=1)
    table.add_column("Documents", justify="right", no_wrap=True)
    for folder in folders:
        table.add_row(folder.id, escape(folder.name), str(folder.document_count))
    return table


def jobs_table(jobs: Iterable[library_pb2.Job]) -> Table:
    table = _table()
    table.add_column("ID", no_wrap=True, min_width=ID_WIDTH)
    table.add_column("Status", no_wrap=True)
    table.add_column("Stage", no_wrap=True)
    table.add_column("Updated", no_wrap=True)
    for job in jobs:
        table.add_row(
            job.id,
            styled(JOB_STATUS.label(job.status)),
            STAGE.label(job.stage),
            when(job.update_time)[5:],
        )
    return table


def job_view(job: library_pb2.Job) -> RenderableType:
    facts = _facts(
        [
            ("Job", job.id),
            ("Document", job.document_id),
            ("Owner", job.owner_id),
            ("Status", styled(JOB_STATUS.label(job.status))),
            ("Stage", STAGE.label(job.stage)),
            ("Attempts", str(job.attempts)),
            ("Created", when(job.create_time)),
            ("Updated", when(job.update_time)),
            ("Error", _error(job.error_message)),
        ]
    )
    runs = _table()
    for column in ("Stage", "Try", "Started", "Ended"):
        runs.add_column(column, no_wrap=True)
    runs.add_column("Error", overflow="fold", ratio=1)
    for run in job.runs:
        runs.add_row(
            STAGE.label(run.stage),
            str(run.attempt),
            when(run.start_time)[5:],
            when(run.end_time)[5:],
            escape(run.error_message),
        )
    return Group(facts, Text(""), runs)


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)


def _facts(rows: Iterable[tuple[str, str]]) -> Table:
    """Label/value lines, skipping empty values."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    for label, value in rows:
        if value:
            facts.add_row(label, value)
    return facts


def _error(message: str) -> str:
    return f"[red]{escape(message)}[/]" if message else ""


def templates_table(templates: Iterable[library_pb2.SummaryTemplate]) -> Table:
    table = _table()
    table.add_column("ID", no_wrap=True, min_width=ID_WIDTH)
    table.add_column("Name", overflow="fold")
    table.add_column("Instructions", overflow="fold", ratio=1)
    for template in templates:
        first_line = template.instructions.strip().splitlines()[0] if template.instructions else ""
        table.add_row(template.id, escape(template.name), escape(first_line))
    return table
