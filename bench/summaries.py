"""How good the summaries are: action items, owners, due dates, decisions, small talk.

Every provider summarizes the meeting scripts of tests/summarizer/meetings (three or four
anonymous speakers, commitments scattered through the talk, small talk, no closing recap),
fed as speaker-labelled transcripts, and is scored against what a person would note down:

- extractive: the offline fallback;
- stand-in server: an OpenAI-compatible server on loopback that answers with each
  commitment's sentence as said, no owner and no due date, which measures what the
  grounding adds (owners from the speaker and the wording, dates resolved);
- local LLM: the bundled Qwen2.5-Coder-1.5B (in-process llama.cpp), when installed.

The scripts in tests/summarizer/meetings/held_out were written after the tuning and are scored
apart ("held-out" rows): rules and prompts were never adjusted to them.

    .venv/bin/python -m bench.summaries [--providers extractive,stand-in,local-llm] [--json OUT]

`--cache DIR` keeps the local model's answers by their prompt, so that a change to the
second pass (or to the grounding) is measured without recomputing the first pass's summary;
the figures of record are measured without it (its seconds would mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from services.summarizer.engine import (
    ExtractiveProvider,
    OpenAICompatibleProvider,
    ProviderError,
    StructuredSummary,
    SummaryProvider,
)
from services.summarizer.engine.local_llm import TEMPERATURE, LocalLlmProvider, LocalModel
from services.summarizer.engine.prompts import Prompt
from tests.summarizer.meeting_scripts import Meeting, Score, load_meetings, score

PROVIDERS = ("extractive", "stand-in", "local-llm")
GOALS = {"local-llm": 0.7, "extractive": 0.5}
LOCAL_LLM_TIMEOUT = 3_600.0


def run(
    providers: Sequence[str] = PROVIDERS,
    *,
    only: Sequence[str] = (),
    threads: int | None = None,
    cache: Path | None = None,
) -> dict[str, Any]:
    """The figures per provider (`make bench` calls this); providers not installed are left out.

    `only` limits the run to the named meetings (of either set), so that a slow provider can be
    measured in several processes and the results combined (`--combine`); `cache`, a folder
    where the local model's answers are kept by prompt and reused."""
    return asyncio.run(_run(providers, only, threads, cache))


async def _run(
    providers: Sequence[str], only: Sequence[str], threads: int | None, cache: Path | None
) -> dict[str, Any]:
    meetings = [m for m in load_meetings() if not only or m.name in only]
    held_out = [m for m in load_meetings(held_out=True) if not only or m.name in only]
    results: dict[str, Any] = {
        "meetings": len(meetings),
        "held_out_meetings": len(held_out),
        "providers": {},
        "held_out": {},
    }
    for name in providers:
        provider = _provider(name, [*meetings, *held_out], threads, cache)
        if provider is None:
            results["providers"][name] = {"skipped": "not installed"}
            continue
        if meetings:
            results["providers"][name] = await _measure(provider, meetings)
        # The held-out scripts were never tuned on: how far the figures carry over.
        if held_out:
            results["held_out"][name] = await _measure(provider, held_out)
    return results


async def _measure(provider: SummaryProvider, meetings: list[Meeting]) -> dict[str, Any]:
    per_meeting = []
    for meeting in meetings:
        started = time.perf_counter()
        try:
            summary = await provider.summarize(meeting.request())
        except ProviderError as error:
            # A failed meeting scores nothing (an empty summary), and says why.
            print(f"{provider.name}: {meeting.name}: failed: {error}", file=sys.stderr)
            summary = _empty_summary(provider.name)
        took = time.perf_counter() - started
        result = score(summary, meeting)
        # One line per meeting as it is done: a local model takes minutes per meeting.
        print(
            f"{provider.name}: {meeting.name}: {took:.1f} s, "
            f"owner recall {result.action_recall_with_owner:.2f}",
            file=sys.stderr,
            flush=True,
        )
        per_meeting.append(
            {
                "meeting": meeting.name,
                "provider": summary.provider,
                "failed": summary.model == "failed",
                "seconds": round(took, 1),
                "action_recall_owner": round(result.action_recall_with_owner, 2),
                "decision_recall": round(result.decision_recall, 2),
                "leaked": result.leaked_small_talk,
                # What it wrote, for a person to judge the figures by.
                "action_items": [[a.text, a.owner or "", a.due] for a in summary.action_items],
                "decisions": summary.decisions,
                # The counts behind the figures, so that runs can be combined.
                "score": dataclasses.asdict(result),
                "words": meeting.word_count,
            }
        )
    return figures(per_meeting)


def figures(per_meeting: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a set of meetings from their counts (runs combine by concatenation)."""
    scores = [Score(**entry["score"]) for entry in per_meeting]
    words = sum(int(entry["words"]) for entry in per_meeting)
    seconds = sum(float(entry["seconds"]) for entry in per_meeting)

    def total(field: Callable[[Score], int]) -> int:
        return sum(field(s) for s in scores)

    expected = total(lambda s: s.expected_actions)
    produced = total(lambda s: s.produced_actions)
    return {
        "action_recall": round(total(lambda s: s.matched_actions) / expected, 3),
        "action_recall_with_owner": round(total(lambda s: s.right_owner) / expected, 3),
        "action_recall_with_owner_and_due": round(
            total(lambda s: s.right_owner_and_due) / expected, 3
        ),
        "action_precision": round(total(lambda s: s.matched_actions) / max(produced, 1), 3),
        "decision_recall": round(
            total(lambda s: s.matched_decisions) / total(lambda s: s.expected_decisions), 3
        ),
        "small_talk_leaked": total(lambda s: s.leaked_small_talk),
        "speaker_names_right": f"{total(lambda s: s.right_speaker_names)}/"
        f"{total(lambda s: s.speakers)}",
        "seconds_per_1000_words": round(seconds / words * 1000, 2),
        "per_meeting": per_meeting,
    }


def combine(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One result from runs over different meetings (each run's `--json` file)."""
    combined: dict[str, Any] = {
        "meetings": 0,
        "held_out_meetings": 0,
        "providers": {},
        "held_out": {},
    }
    for key in ("providers", "held_out"):
        entries: dict[str, list[dict[str, Any]]] = {}
        for result in runs:
            for name, figures_of in result.get(key, {}).items():
                if "skipped" not in figures_of:
                    entries.setdefault(name, []).extend(figures_of["per_meeting"])
        combined[key] = {name: figures(per_meeting) for name, per_meeting in entries.items()}
    for key, count in (("providers", "meetings"), ("held_out", "held_out_meetings")):
        combined[count] = max((len(f["per_meeting"]) for f in combined[key].values()), default=0)
    return combined


def _empty_summary(provider: str) -> StructuredSummary:
    return StructuredSummary("", "", [], [], [], [], "en", provider, "failed")


def _provider(
    name: str, meetings: list[Meeting], threads: int | None = None, cache: Path | None = None
) -> SummaryProvider | None:
    if name == "extractive":
        return ExtractiveProvider()
    if name == "stand-in":
        return _StandInProvider(meetings)
    if name == "local-llm":
        from services.summarizer.engine.local_llm import LocalModelSettings, load_local_model

        settings = LocalModelSettings() if threads is None else LocalModelSettings(threads=threads)
        model = load_local_model(True, settings)
        if model is None:
            return None
        # Quality is measured here, so the model gets all the time it needs on a shared
        # machine (its seconds are reported); the service's own budget is a setting.
        if cache is None:
            return LocalLlmProvider(model, timeout=LOCAL_LLM_TIMEOUT)
        return _CachedLocalLlmProvider(model, timeout=LOCAL_LLM_TIMEOUT, folder=cache)
    raise ValueError(f"unknown provider {name!r}; expected one of {PROVIDERS}")


class _CachedLocalLlmProvider(LocalLlmProvider):
    """The local model, its answers kept in `folder` by everything that decides them (the
    prompt, its schema, the model, the sampling temperature) and reused when asked again."""

    def __init__(self, model: LocalModel, *, timeout: float, folder: Path) -> None:
        super().__init__(model, timeout=timeout)
        self._folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def _complete(self, model: str, prompt: Prompt) -> str:
        key = json.dumps(
            [model, TEMPERATURE, prompt.system, prompt.user, prompt.schema_name, prompt.schema],
            sort_keys=True,
        )
        path = self._folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.txt"
        if path.exists():
            return path.read_text()
        answer = await super()._complete(model, prompt)
        path.write_text(answer)
        return answer


class _StandInProvider:
    """The OpenAI-compatible provider against a loopback stand-in that quotes commitments."""

    name = "stand-in"

    def __init__(self, meetings: list[Meeting]) -> None:
        self._meetings = meetings

    async def summarize(self, request: Any) -> StructuredSummary:
        from tests.summarizer.stand_in_llm_server import chat_completion, running_stand_in

        meeting = next(
            m for m in self._meetings if m.lines[0][1] in request.transcript_segments[0].text
        )
        answer = json.dumps(_quoting_answer(meeting))
        with running_stand_in(lambda call, number: chat_completion(answer)) as server:
            provider = OpenAICompatibleProvider(base_url=server.url, models=["stand-in"])
            return await provider.summarize(request)


def _quoting_answer(meeting: Meeting) -> dict[str, Any]:
    labels = {name: label for label, name in meeting.speakers.items()}

    def line_with(keywords: Sequence[str], owner: str = "") -> str:
        lines = [
            (speaker, text)
            for speaker, text in meeting.lines
            if all(re.search(group, text, re.IGNORECASE) for group in keywords)
        ]
        # The commitment itself: said by its owner, or naming them.
        own = [text for speaker, text in lines if speaker == labels.get(owner) or owner in text]
        return (own or [text for _, text in lines])[-1 if own else 0]

    return {
        "title": meeting.title,
        "summary": "The meeting went through its agenda.",
        "key_points": [],
        "decisions": [line_with(groups) for groups in meeting.decisions],
        "action_items": [
            {"text": line_with(item.keywords, item.owner), "owner": None, "due": None}
            for item in meeting.action_items
        ],
        "topics": [],
        "speaker_names": [],
    }


def table(results: dict[str, Any]) -> str:
    header = (
        "| provider | action recall | + right owner | + owner and due | action precision "
        "| decision recall | small talk leaked | speaker names | s per 1,000 words |"
    )
    lines = [header, "|" + "---|" * 9]
    rows = [
        *results["providers"].items(),
        *((f"{name} (held-out)", figures) for name, figures in results.get("held_out", {}).items()),
    ]
    for name, figures in rows:
        if "skipped" in figures:
            lines.append(f"| {name} | {figures['skipped']} |" + " |" * 7)
            continue
        lines.append(
            f"| {name} | {figures['action_recall']:.2f} "
            f"| {figures['action_recall_with_owner']:.2f} "
            f"| {figures['action_recall_with_owner_and_due']:.2f} "
            f"| {figures['action_precision']:.2f} | {figures['decision_recall']:.2f} "
            f"| {figures['small_talk_leaked']} | {figures['speaker_names_right']} "
            f"| {figures['seconds_per_1000_words']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--only", default="", help="comma-separated meeting names to run")
    parser.add_argument("--threads", type=int, help="CPU threads for the local model")
    parser.add_argument(
        "--cache", type=Path, help="keep the local model's answers here and reuse them"
    )
    parser.add_argument(
        "--combine", nargs="+", metavar="JSON", help="combine earlier runs' --json files"
    )
    args = parser.parse_args(argv)
    if args.combine:
        runs = []
        for path in args.combine:
            with open(path) as source:
                runs.append(json.load(source))
        results = combine(runs)
    else:
        results = run(
            [name for name in args.providers.split(",") if name],
            only=[name for name in args.only.split(",") if name],
            threads=args.threads,
            cache=args.cache,
        )
    print(table(results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
