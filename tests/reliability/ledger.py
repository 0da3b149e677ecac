"""What the reliability scenarios did, for the summary printed at the end of the session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ReliabilityLedger:
    scenarios: list[str] = field(default_factory=list)
    jobs_submitted: int = 0
    jobs_completed: int = 0
    errors_by_status: Counter[str] = field(default_factory=Counter)
    figures: list[str] = field(default_factory=list)

    @property
    def jobs_lost(self) -> int:
        return self.jobs_submitted - self.jobs_completed

    def scenario(self, name: str) -> None:
        self.scenarios.append(name)

    def submitted(self, count: int = 1) -> None:
        self.jobs_submitted += count

    def completed(self, count: int = 1) -> None:
        self.jobs_completed += count

    def error(self, status: str) -> None:
        self.errors_by_status[status] += 1

    def lines(self) -> list[str]:
        errors = ", ".join(f"{code}: {n}" for code, n in sorted(self.errors_by_status.items()))
        return [
            f"scenarios run: {len(self.scenarios)} ({', '.join(self.scenarios)})",
            f"jobs submitted: {self.jobs_submitted}, completed: {self.jobs_completed}, "
            f"lost: {self.jobs_lost}",
            f"errors by status: {errors or 'none'}",
            *self.figures,
        ]


LEDGER = ReliabilityLedger()
