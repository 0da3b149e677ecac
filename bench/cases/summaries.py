"""Case 12: summaries a person would write — action items with owner and due, decisions and
small talk left out, per provider, on the meeting scripts in tests/summarizer/meetings/."""

from __future__ import annotations

import asyncio
from typing import Any

from bench import summaries
from bench.context import BenchContext
from bench.results import CaseResult, Headline

# The quick smoke run skips the local LLM: minutes per meeting on 2 cores.
QUICK_PROVIDERS = ("extractive", "stand-in")


async def run(context: BenchContext) -> list[CaseResult]:
    providers = QUICK_PROVIDERS if context.sizes.quick else summaries.PROVIDERS
    figures: dict[str, Any] = await asyncio.to_thread(summaries.run, providers)
    measured = {
        name: result for name, result in figures["providers"].items() if "skipped" not in result
    }
    metrics: dict[str, float] = {}
    rows: list[dict[str, float | int | str]] = []
    for name, result in measured.items():
        metrics[f"{name} action recall with owner"] = float(result["action_recall_with_owner"])
        metrics[f"{name} decision recall"] = float(result["decision_recall"])
        metrics[f"{name} small talk leaked"] = float(result["small_talk_leaked"])
        rows.append(
            {
                "provider": name,
                "action recall": result["action_recall"],
                "+ right owner": result["action_recall_with_owner"],
                "+ owner and due": result["action_recall_with_owner_and_due"],
                "action precision": result["action_precision"],
                "decision recall": result["decision_recall"],
                "small talk leaked": result["small_talk_leaked"],
                "speaker names": result["speaker_names_right"],
                "s per 1,000 words": result["seconds_per_1000_words"],
            }
        )
    for name, result in figures.get("held_out", {}).items():
        metrics[f"{name} held-out action recall with owner"] = float(
            result["action_recall_with_owner"]
        )
        metrics[f"{name} held-out small talk leaked"] = float(result["small_talk_leaked"])
        rows.append(
            {
                "provider": f"{name} (held-out)",
                "action recall": result["action_recall"],
                "+ right owner": result["action_recall_with_owner"],
                "+ owner and due": result["action_recall_with_owner_and_due"],
                "action precision": result["action_precision"],
                "decision recall": result["decision_recall"],
                "small talk leaked": result["small_talk_leaked"],
                "speaker names": result["speaker_names_right"],
                "s per 1,000 words": result["seconds_per_1000_words"],
            }
        )
    headline_provider = "local-llm" if "local-llm" in measured else "extractive"
    return [
        CaseResult(
            number=12,
            name="Summary quality",
            input=f"{figures['meetings']} meeting scripts, plus "
            f"{figures.get('held_out_meetings', 0)} held out from tuning (3+ speakers, "
            "commitments scattered through the talk, small talk, no closing recap) with their "
            "expected decisions "
            "and action items, as speaker-labelled transcripts",
            settings={"providers": ", ".join(measured)},
            metrics=metrics,
            headline=Headline(
                f"{headline_provider} action-item recall with the right owner",
                float(measured[headline_provider]["action_recall_with_owner"]),
                "items found with their owner",
                "items expected",
                goal="local LLM ≥ 0.7, extractive ≥ 0.5, nothing leaked",
            ),
            notes="skipped providers: "
            + (", ".join(n for n, r in figures["providers"].items() if "skipped" in r) or "none"),
            rows=rows,
        )
    ]
