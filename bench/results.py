"""What a case reports, and how a run becomes JSON and a markdown table."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Headline:
    """The one figure a case is judged by: a ratio of two things measured in the same run."""

    label: str
    value: float
    numerator: str
    denominator: str
    goal: str = ""


@dataclass(frozen=True)
class CaseResult:
    number: int
    name: str
    input: str
    settings: dict[str, str]
    metrics: dict[str, float]
    headline: Headline
    notes: str = ""
    # Optional per-input breakdown (e.g. one row per recording), shown as its own table.
    rows: list[dict[str, float | int | str]] = field(default_factory=list)


@dataclass
class BenchRun:
    started: str
    quick: bool
    machine: dict[str, Any]
    cases: list[CaseResult] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=_json_number)

    def write_json(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.started.replace(':', '')}.json"
        path.write_text(self.as_json() + "\n")
        return path


def _json_number(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else str(value)


def format_number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(run: BenchRun) -> str:
    """One row per case: headline first, then every measured figure."""
    rows = [
        "| # | case | headline | measured | input and settings |",
        "|---|---|---|---|---|",
    ]
    for case in run.cases:
        h = case.headline
        # A difference (e.g. WER points) has no denominator.
        formula = f"{h.numerator} / {h.denominator}" if h.denominator else h.numerator
        headline = f"**{format_number(h.value)}** {h.label} ({formula})"
        if h.goal:
            headline += f"; goal {h.goal}"
        measured = "<br>".join(f"{k}: {format_number(v)}" for k, v in case.metrics.items())
        settings = ", ".join(f"{k}={v}" for k, v in case.settings.items())
        described = case.input + (f"<br>{settings}" if settings else "")
        if case.notes:
            described += f"<br>*{case.notes}*"
        rows.append(
            f"| {case.number} | {_cell(case.name)} | {_cell(headline)} | {measured} "
            f"| {_cell(described)} |"
        )
    for name, error in run.failures.items():
        rows.append(f"| – | {_cell(name)} | **failed** | | {_cell(error[:300])} |")
    return "\n".join(rows)


def breakdown_tables(run: BenchRun) -> str:
    """The per-input rows of the cases that have them, one table per case."""
    tables = []
    for case in run.cases:
        if not case.rows:
            continue
        columns = list(case.rows[0])
        lines = [
            f"### {case.number}. {case.name}: per recording",
            "",
            "| " + " | ".join(columns) + " |",
            "|"
            + "|".join("---" if isinstance(case.rows[0][c], str) else "---:" for c in columns)
            + "|",
        ]
        for row in case.rows:
            cells = [_format_cell(row[column]) for column in columns]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


def _format_cell(value: float | int | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    return format_number(value)


def machine_table(machine: dict[str, Any]) -> str:
    packages = machine.get("packages", {})
    lines = [
        f"- CPU: {machine['cpu_model']} ({machine['cores']} logical cores)",
        f"- RAM: {machine['ram_gib']:.1f} GiB",
        f"- OS: {machine['os']}",
        f"- Python: {machine['python']}",
        "- Packages: " + ", ".join(f"{name} {version}" for name, version in packages.items()),
    ]
    return "\n".join(lines)
