"""Backups kept: the newest of each of the last 7 days, 4 ISO weeks and 12 months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.admin.backup import MANIFEST, backup_name, prune_backups
from services.admin.retention import RetentionPolicy, backups_to_keep

START = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)


def nightly(days: int) -> list[datetime]:
    return [START + timedelta(days=n) for n in range(days)]


def test_a_week_of_nightly_backups_is_kept_whole() -> None:
    backups = nightly(7)
    assert backups_to_keep(backups) == set(backups)


def test_a_year_of_nightly_backups_keeps_7_daily_4_weekly_and_12_monthly() -> None:
    backups = nightly(365)  # 2025-01-01 .. 2025-12-31
    kept = backups_to_keep(backups)
    newest = backups[-1]
    daily = {newest - timedelta(days=n) for n in range(7)}
    assert daily <= kept
    # Newest of each ISO week: Sundays (the newest week's is the newest backup itself).
    sundays = {moment for moment in backups if moment.isoweekday() == 7}
    assert sorted(sundays)[-3:] == sorted(kept & sundays)[-3:]
    # Newest of each month: the month's last day, for all 12 months.
    month_ends = {moment for moment in backups if (moment + timedelta(days=1)).day == 1}
    assert month_ends <= kept
    assert len(kept) == len(daily | month_ends | set(sorted(sundays)[-3:]))
    assert len(kept) < 7 + 4 + 12


def test_several_backups_on_one_day_keep_only_the_newest_of_that_day() -> None:
    morning = datetime(2025, 5, 10, 2, 0, tzinfo=UTC)
    evening = morning.replace(hour=20)
    older = morning - timedelta(days=1)
    assert backups_to_keep([morning, evening, older]) == {evening, older}


def test_periods_count_backups_not_calendar_time() -> None:
    """After a long outage the last backups survive: nothing expires by time alone."""
    backups = nightly(3)
    assert backups_to_keep(backups, RetentionPolicy(daily=2, weekly=0, monthly=0)) == set(
        backups[-2:]
    )


def test_a_policy_keeping_nothing_keeps_nothing() -> None:
    assert backups_to_keep(nightly(40), RetentionPolicy(0, 0, 0)) == set()


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetentionPolicy(daily=-1)


def test_prune_deletes_only_complete_backups_the_policy_drops(tmp_path: Path) -> None:
    for moment in nightly(10):
        folder = tmp_path / backup_name(moment)
        folder.mkdir()
        (folder / MANIFEST).write_text("{}")
    unfinished = tmp_path / f"{backup_name(START)}.partial"
    unfinished.mkdir()
    unrelated = tmp_path / "notes"
    unrelated.mkdir()

    removed = prune_backups(tmp_path, RetentionPolicy(daily=3, weekly=0, monthly=0))

    assert [folder.name for folder in removed] == [backup_name(m) for m in nightly(7)]
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == sorted(
        [*(backup_name(m) for m in nightly(10)[7:]), unfinished.name, unrelated.name]
    )
