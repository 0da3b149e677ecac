"""A document's transcript (and summary) as a file: TXT, SRT, VTT, JSON, Markdown, DOCX.
Pure functions: an ExportInput in, the file's bytes, content type and name out.

Subtitle cues follow common captioning practice: at most ~7 seconds and two lines of 42
characters; a longer segment is cut at its word timings (or, with no word timings, at word
boundaries with time shared by length), and each cue names its speaker."""

from __future__ import annotations

import io
import json
import re
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import Any

import docx
import srt

from services.kernel.action_items import ActionItem
from services.kernel.transcripts import clock, seconds, speaker_names, turns
from speechflow.library.v1 import library_pb2

MAX_CUE_SECONDS = 7.0
CUE_LINE_CHARS = 42
CUE_LINES = 2
MAX_FILE_STEM = 80


class ExportFormat(IntEnum):
    """Mirrors `speechflow.library.v1.ExportFormat`."""

    TXT = 1
    SRT = 2
    VTT = 3
    JSON = 4
    MARKDOWN = 5
    DOCX = 6


# Short names for REST and the CLI (`?format=srt`).
FORMAT_NAMES = {
    "txt": ExportFormat.TXT,
    "srt": ExportFormat.SRT,
    "vtt": ExportFormat.VTT,
    "json": ExportFormat.JSON,
    "md": ExportFormat.MARKDOWN,
    "markdown": ExportFormat.MARKDOWN,
    "docx": ExportFormat.DOCX,
}


@dataclass(frozen=True, slots=True)
class ExportSummary:
    text: str = ""
    key_points: Sequence[str] = ()
    decisions: Sequence[str] = ()
    action_items: Sequence[ActionItem] = ()

    @property
    def empty(self) -> bool:
        return not (self.text or self.key_points or self.decisions or self.action_items)


@dataclass(frozen=True, slots=True)
class ExportInput:
    """What an export is written from: the document, its transcript as it now reads, its
    summary, and the document's language (for a transcript that does not name its own)."""

    document_id: str
    title: str
    transcript: library_pb2.Transcript
    summary: ExportSummary = field(default_factory=ExportSummary)
    language: str = ""


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """An export's bytes, their media type, and the file name a download suggests."""

    data: bytes
    content_type: str
    file_name: str


@dataclass(frozen=True, slots=True)
class Cue:
    """A subtitle: one speaker's words, at most MAX_CUE_SECONDS long and CUE_LINES lines."""

    start: float
    end: float
    speaker: str
    text: str


def export(kind: ExportFormat, source: ExportInput) -> ExportedFile:
    extension, content_type, write = _WRITERS[kind]
    return ExportedFile(write(source), content_type, f"{file_stem(source.title)}.{extension}")


def file_stem(title: str) -> str:
    """Letters, digits, '-', '_' and '.' of the title (spaces become '-'): safe in every file
    system and shell; the exact title travels in the Content-Disposition header's UTF-8 name."""
    normalized = unicodedata.normalize("NFC", title)
    kept = "".join(c if c.isalnum() or c in "-_." else " " for c in normalized)
    stem = "-".join(kept.split()).strip(".-")[:MAX_FILE_STEM].rstrip(".-")
    return stem or "transcript"


def summary_from_document(document: library_pb2.Document) -> ExportSummary:
    """The structured summary when the document has one, else the flat fields of older rows."""
    if document.HasField("summary") and (document.summary.text or document.summary.key_points):
        summary = document.summary
        return ExportSummary(
            text=summary.text,
            key_points=list(summary.key_points),
            decisions=list(summary.decisions),
            action_items=[ActionItem(a.text, a.owner, a.due) for a in summary.action_items],
        )
    return ExportSummary(
        text=document.summary_text,
        key_points=list(document.key_points),
        action_items=[ActionItem(text) for text in document.action_items],
    )


def cues(transcript: library_pb2.Transcript) -> list[Cue]:
    names = speaker_names(transcript)
    found: list[Cue] = []
    for segment in transcript.segments:
        speaker = names.get(segment.speaker_id, "")
        words = _timed_words(segment)
        prefix = f"{speaker}: " if speaker else ""
        current: list[tuple[float, float, str]] = []
        for word in words:
            trial = [*current, word]
            if current and (
                trial[-1][1] - trial[0][0] > MAX_CUE_SECONDS
                or len(_lines(prefix + _join(trial))) > CUE_LINES
            ):
                found.append(Cue(current[0][0], current[-1][1], speaker, _join(current)))
                trial = [word]
            current = trial
        if current:
            found.append(Cue(current[0][0], current[-1][1], speaker, _join(current)))
    return found


def _timed_words(segment: library_pb2.TranscriptSegment) -> list[tuple[float, float, str]]:
    start, end = seconds(segment.start_offset), seconds(segment.end_offset)
    if segment.words:
        words = [
            (seconds(w.start_offset), seconds(w.end_offset), w.text.strip())
            for w in segment.words
            if w.text.strip()
        ]
        if words:
            return words
    tokens = segment.text.split()
    total = sum(len(t) + 1 for t in tokens) or 1
    timed: list[tuple[float, float, str]] = []
    at = start
    for token in tokens:
        length = (end - start) * (len(token) + 1) / total
        timed.append((at, at + length, token))
        at += length
    return timed


def _join(words: Sequence[tuple[float, float, str]]) -> str:
    return " ".join(text for _, _, text in words)


def _lines(text: str) -> list[str]:
    return textwrap.wrap(text, CUE_LINE_CHARS, break_long_words=False) or [""]


def _txt(source: ExportInput) -> bytes:
    lines = [source.title, ""]
    for turn in turns(source.transcript):
        lines += [f"[{clock(turn.start)}] {turn.speaker}: {turn.text}", ""]
    return "\n".join(lines).encode()


def _srt(source: ExportInput) -> bytes:
    subtitles = [
        srt.Subtitle(
            index=number,
            start=timedelta(seconds=cue.start),
            end=timedelta(seconds=max(cue.end, cue.start + 0.001)),
            content="\n".join(_lines(f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text)),
        )
        for number, cue in enumerate(cues(source.transcript), start=1)
    ]
    composed: str = srt.compose(subtitles, reindex=False)
    return composed.encode()


def _vtt(source: ExportInput) -> bytes:
    blocks = ["WEBVTT"]
    for cue in cues(source.transcript):
        text = "\n".join(_lines(cue.text))
        voice = f"<v {_vtt_escape(cue.speaker)}>" if cue.speaker else ""
        blocks.append(
            f"{_vtt_time(cue.start)} --> {_vtt_time(max(cue.end, cue.start + 0.001))}\n"
            f"{voice}{_vtt_escape(text)}"
        )
    return ("\n\n".join(blocks) + "\n").encode()


def _vtt_time(value: float) -> str:
    millis = round(value * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: a bare '&' or '<' would start an entity or a tag.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json(source: ExportInput) -> bytes:
    transcript = source.transcript
    names = speaker_names(transcript)
    body: dict[str, Any] = {
        "document_id": source.document_id,
        "title": source.title,
        "language": transcript.language or source.language,
        "revision": transcript.revision,
        "duration_seconds": round(seconds(transcript.duration), 3),
        "speakers": [{"id": sid, "display_name": name} for sid, name in names.items()],
        "segments": [
            {
                "start": round(seconds(s.start_offset), 3),
                "end": round(seconds(s.end_offset), 3),
                "speaker_id": s.speaker_id,
                "speaker": names.get(s.speaker_id, ""),
                "text": s.text.strip(),
                "words": [
                    {
                        "start": round(seconds(w.start_offset), 3),
                        "end": round(seconds(w.end_offset), 3),
                        "text": w.text.strip(),
                        "probability": round(w.probability, 3),
                    }
                    for w in s.words
                ],
            }
            for s in transcript.segments
        ],
        "summary": {
            "text": source.summary.text,
            "key_points": list(source.summary.key_points),
            "decisions": list(source.summary.decisions),
            "action_items": [
                {"text": a.text, "owner": a.owner, "due": a.due}
                for a in source.summary.action_items
            ],
        },
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


def _markdown(source: ExportInput) -> bytes:
    summary = source.summary
    out = [f"# {_md_escape(source.title)}", ""]
    if summary.text:
        out += ["## Summary", "", summary.text, ""]
    for heading, items in (("Key points", summary.key_points), ("Decisions", summary.decisions)):
        if items:
            out += [f"## {heading}", "", *[f"- {_md_escape(item)}" for item in items], ""]
    if summary.action_items:
        out += ["## Action items", ""]
        out += [f"- [ ] {_md_escape(_action_line(item))}" for item in summary.action_items]
        out.append("")
    out += ["## Transcript", ""]
    for turn in turns(source.transcript):
        out += [f"**[{clock(turn.start)}] {_md_escape(turn.speaker)}:** {turn.text}", ""]
    return "\n".join(out).encode()


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]#<>|])", r"\\\1", text)


def _action_line(item: ActionItem) -> str:
    details = ", ".join(
        part for part in (item.owner, f"due {item.due}" if item.due else "") if part
    )
    return f"{item.text} ({details})" if details else item.text


def _docx(source: ExportInput) -> bytes:
    summary = source.summary
    document = docx.Document()
    document.core_properties.title = source.title
    document.add_heading(source.title, level=0)
    if summary.text:
        document.add_heading("Summary", level=1)
        document.add_paragraph(summary.text)
    for heading, items in (("Key points", summary.key_points), ("Decisions", summary.decisions)):
        if items:
            document.add_heading(heading, level=1)
            for item in items:
                document.add_paragraph(item, style="List Bullet")
    if summary.action_items:
        document.add_heading("Action items", level=1)
        for action in summary.action_items:
            document.add_paragraph(_action_line(action), style="List Bullet")
    document.add_heading("Transcript", level=1)
    for turn in turns(source.transcript):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"[{clock(turn.start)}] {turn.speaker}: ").bold = True
        paragraph.add_run(turn.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_WRITERS: dict[ExportFormat, tuple[str, str, Callable[[ExportInput], bytes]]] = {
    ExportFormat.TXT: ("txt", "text/plain; charset=utf-8", _txt),
    ExportFormat.SRT: ("srt", "application/x-subrip; charset=utf-8", _srt),
    ExportFormat.VTT: ("vtt", "text/vtt; charset=utf-8", _vtt),
    ExportFormat.JSON: ("json", "application/json", _json),
    ExportFormat.MARKDOWN: ("md", "text/markdown; charset=utf-8", _markdown),
    ExportFormat.DOCX: (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _docx,
    ),
}
