"""When a digest is due, and what "yesterday" means: pure functions of `now` and a time zone.

A digest is due once per local date, at the subscription's local time. Daylight saving time neither
skips nor doubles it: a local time that does not exist that day (spring forward) falls at the same
offset as the day before, an hour later on the wall clock, and a time that occurs twice (fall back)
counts once, at its first occurrence. The claim per local date (store.py) makes "once" hold whatever
the clock does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

LATE_AFTER = timedelta(minutes=15)  # posted later than this past its time, a digest says it is late


@dataclass(frozen=True)
class Due:
    local_date: date
    due_at: datetime  # UTC
    late: bool


def due_at(local_date: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of `at` on `local_date` in `zone` (first occurrence; a gap shifts it forward)."""
    return datetime.combine(local_date, at, tzinfo=zone).astimezone(UTC)


def due_today(now: datetime, at: time, zone: tzinfo) -> Due | None:
    """Today's digest if its time has come (today in `zone`); None before then.

    Only today's is ever due: a day the clock missed entirely is not back-filled the next day.
    """
    today = now.astimezone(zone).date()
    scheduled = due_at(today, at, zone)
    if now < scheduled:
        return None
    return Due(today, scheduled, late=now - scheduled > LATE_AFTER)


def next_due(now: datetime, at: time, zone: tzinfo, *, posted_today: bool) -> datetime:
    """The next time a digest will be posted, for `digest status`."""
    today = now.astimezone(zone).date()
    if not posted_today and now < due_at(today, at, zone):
        return due_at(today, at, zone)
    if not posted_today:
        return now
    return due_at(today + timedelta(days=1), at, zone)


def day_window(local_date: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a calendar day in `zone`: 23, 24 or 25 hours long."""
    start = datetime.combine(local_date, time(0), tzinfo=zone)
    end = datetime.combine(local_date + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def yesterday(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date() - timedelta(days=1)
