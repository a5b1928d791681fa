"""The digest schedule across time zones and daylight saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.schedule import day_window, due_at, due_today, next_due, yesterday

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_due_at_is_local_time_in_the_zone():
    """09:00 in Tokyo is 00:00 UTC; 09:00 in Berlin in winter is 08:00 UTC."""
    assert due_at(date(2026, 11, 24), time(9), TOKYO) == datetime(2026, 11, 24, 0, tzinfo=UTC)
    assert due_at(date(2026, 11, 24), time(9), BERLIN) == datetime(2026, 11, 24, 8, tzinfo=UTC)


def test_not_due_before_its_time_and_due_after():
    """Before 09:00 local nothing is due; at 09:00 today's digest is, on time."""
    assert due_today(datetime(2026, 11, 24, 7, 59, tzinfo=UTC), time(9), BERLIN) is None
    due = due_today(datetime(2026, 11, 24, 8, 0, tzinfo=UTC), time(9), BERLIN)
    assert due is not None
    assert (due.local_date, due.late) == (date(2026, 11, 24), False)


def test_after_a_quarter_hour_it_is_late():
    due = due_today(datetime(2026, 11, 24, 11, 0, tzinfo=UTC), time(9), BERLIN)
    assert due is not None and due.late


def test_the_local_date_decides_not_utcs():
    """At 23:30 UTC on the 24th it is already the 25th in Tokyo: the 25th's digest is due."""
    due = due_today(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), time(8), TOKYO)
    assert due is not None and due.local_date == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("zone", "transition_day"),
    [
        (BERLIN, date(2026, 3, 29)),
        (BERLIN, date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8)),
        (NEW_YORK, date(2026, 11, 1)),
    ],
)
@pytest.mark.parametrize("at", [time(0, 30), time(2, 30), time(9)])
def test_every_local_day_around_dst_changes_is_due_exactly_once(zone, transition_day, at):
    """Checking every minute for three days around a DST change: each local date becomes due once."""
    start = day_window(transition_day - timedelta(days=1), zone)[0]
    end = day_window(transition_day + timedelta(days=1), zone)[1]
    first_due: dict[date, datetime] = {}
    for minute in range(int((end - start).total_seconds() // 60)):
        now = start + timedelta(minutes=minute)
        due = due_today(now, at, zone)
        if due is not None:
            first_due.setdefault(due.local_date, now)
    days = [transition_day - timedelta(days=1), transition_day, transition_day + timedelta(days=1)]
    assert sorted(first_due) == days
    for day, when in first_due.items():
        local = when.astimezone(zone)
        assert local.date() == day
        # On time: within the hour a spring-forward gap can add, never a day off.
        assert timedelta(0) <= local.replace(tzinfo=None) - datetime.combine(day, at) <= timedelta(hours=1)


def test_day_windows_are_23_24_and_25_hours_across_dst():
    """Yesterday's window is the real local day: 23 h in spring, 25 h in autumn."""
    assert day_window(date(2026, 3, 29), BERLIN)[1] - day_window(date(2026, 3, 29), BERLIN)[0] == timedelta(
        hours=23
    )
    assert day_window(date(2026, 10, 25), BERLIN)[1] - day_window(date(2026, 10, 25), BERLIN)[0] == timedelta(
        hours=25
    )
    start, end = day_window(date(2026, 11, 23), BERLIN)
    assert (start, end) == (datetime(2026, 11, 22, 23, tzinfo=UTC), datetime(2026, 11, 23, 23, tzinfo=UTC))


def test_consecutive_windows_tile_without_gap_or_overlap():
    """Each day's window starts where the previous one ended, across a DST change."""
    days = [date(2026, 3, 27) + timedelta(days=i) for i in range(5)]
    windows = [day_window(d, BERLIN) for d in days]
    assert all(windows[i][1] == windows[i + 1][0] for i in range(4))


def test_yesterday_is_the_local_calendar_day():
    assert yesterday(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), TOKYO) == date(2026, 11, 24)
    assert yesterday(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), NEW_YORK) == date(2026, 11, 23)


def test_next_due_after_posting_is_tomorrow():
    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert next_due(now, time(9), BERLIN, posted_today=True) == datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert next_due(datetime(2026, 11, 24, 6, tzinfo=UTC), time(9), BERLIN, posted_today=False) == datetime(
        2026, 11, 24, 8, tzinfo=UTC
    )
