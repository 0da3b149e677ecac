"""Answers a language model might give, for the stand-in server."""

from __future__ import annotations

import json
from typing import Any


def summary_payload(title: str = "Quarterly planning", **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": title,
        "summary": "The team planned the trade show, an offer and the mobile release.",
        "key_points": ["A smaller booth fits the budget."],
        "decisions": ["Book the smaller booth at the Berlin trade show."],
        "action_items": [
            {"text": "Send the revised marketing budget to finance by Friday.", "owner": "Sarah"},
            {"text": "Email the beta testers.", "owner": None},
        ],
        "topics": [{"title": "Trade show budget", "start": 0, "end": 170}],
    }
    payload.update(overrides)
    return payload


def summary_json(title: str = "Quarterly planning", **overrides: Any) -> str:
    return json.dumps(summary_payload(title, **overrides))
