"""Which backups to keep: the newest of each of the last 7 days, 4 weeks and 12 months.

Periods are counted among those that have a backup (as borg and restic do), not on the
calendar: if backups stop for a while, pruning never removes the last good ones just
because time passed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    def __post_init__(self) -> None:
        if min(self.daily, self.weekly, self.monthly) < 0:
            raise ValueError("retention counts cannot be negative")


DEFAULT_POLICY = RetentionPolicy()


def _day(moment: datetime) -> Hashable:
    return moment.date()


def _iso_week(moment: datetime) -> Hashable:
    year, week, _ = moment.isocalendar()
    return (year, week)


def _month(moment: datetime) -> Hashable:
    return (moment.year, moment.month)


def _newest_per_period(
    newest_first: list[datetime], period: Callable[[datetime], Hashable], count: int
) -> set[datetime]:
    kept: set[datetime] = set()
    seen: set[Hashable] = set()
    for moment in newest_first:
        if len(seen) == count:
            break
        key = period(moment)
        if key not in seen:
            seen.add(key)
            kept.add(moment)
    return kept


def backups_to_keep(
    backup_times: Iterable[datetime], policy: RetentionPolicy = DEFAULT_POLICY
) -> set[datetime]:
    """The subset of `backup_times` to keep; everything else may be deleted."""
    newest_first = sorted(set(backup_times), reverse=True)
    return (
        _newest_per_period(newest_first, _day, policy.daily)
        | _newest_per_period(newest_first, _iso_week, policy.weekly)
        | _newest_per_period(newest_first, _month, policy.monthly)
    )
