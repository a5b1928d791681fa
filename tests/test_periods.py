"""Periods become the right local dates and the exact UTC instants [start, end), across DST."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.periods import (
    BillingBounds,
    Period,
    PeriodProblem,
    PeriodSpec,
    day_bounds,
    previous,
    previous_billing,
    read_period,
    resolve,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # a Wednesday
BILLING = BillingBounds(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def period(text: str, zone=BERLIN, now: datetime = NOW) -> Period:
    spec = read_period(text)
    assert spec is not None, text
    resolved = resolve(spec, now=now, zone=zone, billing=BILLING)
    assert isinstance(resolved, Period), resolved
    return resolved


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("today", PeriodSpec("today")),
        ("  Last   WEEK ", PeriodSpec("last_week")),
        ("this billing period", PeriodSpec("this_period")),
        ("last 30 days", PeriodSpec("last_days", days=30)),
        ("past 1 day", PeriodSpec("last_days", days=1)),
        ("2026-10", PeriodSpec("month", first=date(2026, 10, 1))),
        ("oct 2026", PeriodSpec("month", first=date(2026, 10, 1))),
        ("October", PeriodSpec("month", first=date(2000, 10, 1), year_given=False)),
        ("sept", PeriodSpec("month", first=date(2000, 9, 1), year_given=False)),
        ("2026-11-03", PeriodSpec("date", first=date(2026, 11, 3))),
        ("2026-11-01..2026-11-15", PeriodSpec("range", first=date(2026, 11, 1), last=date(2026, 11, 15))),
        ("2026-11-01 to 2026-11-15", PeriodSpec("range", first=date(2026, 11, 1), last=date(2026, 11, 15))),
    ],
)
def test_read_period_forms(text, spec):
    """Every documented period form is read, case and spacing aside."""
    assert read_period(text) == spec


@pytest.mark.parametrize(
    "text", ["", "fortnight", "2026-13", "2026-02-30", "0000-10", "octember", "last week please", "week"]
)
def test_read_period_refuses_what_is_not_a_period(text):
    """Words that name no period, and impossible dates, are not periods."""
    assert read_period(text) is None


@pytest.mark.parametrize(
    "text",
    ["today", "last week", "last 7 days", "2026-10", "october", "2026-11-03", "2026-11-01..2026-11-15"],
)
def test_canonical_text_reads_back_to_the_same_spec(text):
    """`spec.text` (what select options and buttons carry) reads back to the very same spec."""
    spec = read_period(text)
    assert spec is not None and read_period(spec.text) == spec


def test_last_week_starts_on_monday_at_local_midnight():
    """Last week from a Wednesday is Monday to Sunday, midnight to midnight in the zone."""
    week = period("last week")
    assert (week.first_day, week.last_day) == (date(2026, 10, 26), date(2026, 11, 1))
    assert week.first_day.weekday() == 0
    assert (week.start, week.end) == (utc(2026, 10, 25, 23), utc(2026, 11, 1, 23))


def test_week_across_the_autumn_change_in_berlin_is_one_hour_longer():
    """The week holding 25 Oct 2026 (CEST→CET) starts at 22:00 UTC and ends at 23:00 UTC: 169 hours."""
    week = period("last week", now=utc(2026, 10, 28, 12))
    assert (week.start, week.end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))
    assert week.end - week.start == timedelta(hours=169)


@pytest.mark.parametrize(
    ("day", "zone", "start", "end", "hours"),
    [
        (date(2026, 3, 29), BERLIN, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23),
        (date(2026, 10, 25), BERLIN, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),
        (date(2026, 3, 8), NEW_YORK, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        (date(2026, 11, 1), NEW_YORK, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
        (date(2026, 11, 3), NEW_YORK, utc(2026, 11, 3, 5), utc(2026, 11, 4, 5), 24),
    ],
)
def test_a_day_is_23_24_or_25_hours_from_local_midnight(day, zone, start, end, hours):
    """A date resolves to its local midnights, whatever daylight saving does that day."""
    spec = PeriodSpec("date", first=day)
    resolved = resolve(spec, now=utc(2026, 12, 1), zone=zone)
    assert isinstance(resolved, Period)
    assert (resolved.start, resolved.end) == (start, end)
    assert resolved.end - resolved.start == timedelta(hours=hours)


def test_days_of_a_period_abut_exactly():
    """Each day ends at the instant the next begins: no gap, no overlap, across both DST changes."""
    october = period("2026-10", zone=NEW_YORK)
    days = list(october.days())
    assert len(days) == 31
    assert days[0][1] == october.start and days[-1][2] == october.end
    for (_, _, end), (_, start, _) in itertools.pairwise(days):
        assert end == start


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("today", date(2026, 11, 4), date(2026, 11, 4)),
        ("yesterday", date(2026, 11, 3), date(2026, 11, 3)),
        ("this week", date(2026, 11, 2), date(2026, 11, 8)),
        ("this month", date(2026, 11, 1), date(2026, 11, 30)),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("last 7 days", date(2026, 10, 29), date(2026, 11, 4)),
        ("october", date(2026, 10, 1), date(2026, 10, 31)),
        ("november", date(2026, 11, 1), date(2026, 11, 30)),
        ("december", date(2025, 12, 1), date(2025, 12, 31)),
        ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
    ],
)
def test_local_dates_of_each_form(text, first, last):
    """Each form covers the local dates a person would expect on Wednesday 4 Nov 2026."""
    resolved = period(text)
    assert (resolved.first_day, resolved.last_day) == (first, last)
    assert resolved.start == day_bounds(first, BERLIN)[0]
    assert resolved.end == day_bounds(last, BERLIN)[1]


def test_today_depends_on_the_zone():
    """At 03:00 UTC it is still yesterday in New York: "today" is the local date."""
    early = utc(2026, 11, 4, 3)
    assert period("today", zone=NEW_YORK, now=early).first_day == date(2026, 11, 3)
    assert period("today", zone=BERLIN, now=early).first_day == date(2026, 11, 4)


def test_billing_periods_use_the_summarys_instants():
    """This period is the summary's [start, end); the last is the calendar month before it."""
    this = period("this period")
    assert (this.start, this.end) == (BILLING.start, BILLING.end)
    assert (this.first_day, this.last_day) == (date(2026, 11, 1), date(2026, 12, 1))  # CET: 01:00 local
    last = period("last period", zone=UTC)
    assert (last.start, last.end) == (utc(2026, 10, 1), utc(2026, 11, 1))
    assert last.last_day == date(2026, 10, 31)  # the end instant itself is not covered


def test_a_billing_period_that_is_not_a_month_steps_back_by_its_length():
    """A 14-day billing period's predecessor is the 14 days before it."""
    bounds = BillingBounds(utc(2026, 11, 3, 12), utc(2026, 11, 17, 12))
    assert previous_billing(bounds) == BillingBounds(utc(2026, 10, 20, 12), utc(2026, 11, 3, 12))


def test_billing_period_unknown_is_a_sentence():
    """Without the summary's bounds, "this period" is answered with a sentence, not a guess."""
    problem = resolve(PeriodSpec("this_period"), now=NOW, zone=BERLIN)
    assert isinstance(problem, PeriodProblem) and "billing period is not known" in problem.sentence


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-11-15..2026-11-01", "runs backwards"),
        ("2026-11-05", "in the future"),
        ("2026-12", "in the future"),
        ("2025-01-01..2026-11-01", "spans 670 days"),
        ("2020-01-01..2026-11-01", "spans 2,497 days"),  # a long one with its thousands separated
        ("last 401 days", "at most 400"),
        ("last 0 days", "at least one day"),
    ],
)
def test_periods_that_cannot_be_answered_get_a_sentence(text, words):
    """Reversed, future and over-long periods are refused with a sentence saying why."""
    spec = read_period(text)
    assert spec is not None
    problem = resolve(spec, now=NOW, zone=BERLIN)
    assert isinstance(problem, PeriodProblem) and words in problem.sentence


def test_400_days_is_still_answered():
    """The limit is inclusive: exactly 400 days is fine."""
    assert period("last 400 days").day_count == 400


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("yesterday", date(2026, 11, 2), date(2026, 11, 2)),
        ("last week", date(2026, 10, 19), date(2026, 10, 25)),
        ("last month", date(2026, 9, 1), date(2026, 9, 30)),
        ("2026-10-10..2026-10-19", date(2026, 9, 30), date(2026, 10, 9)),
    ],
)
def test_previous_period_of_the_same_kind(text, first, last):
    """The comparison period: the same number of days just before, or the previous calendar month."""
    before = previous(period(text))
    assert (before.first_day, before.last_day) == (first, last)
    assert before.end == period(text).start


def test_previous_of_a_running_period_is_cut_at_the_same_point():
    """ "This month" on the 4th at 10:00 is compared with last month up to the 4th at the same hour."""
    this = period("this month")
    before = previous(this, NOW)
    assert before.start == datetime(2026, 10, 1, tzinfo=BERLIN).astimezone(UTC)
    assert before.end == before.start + (NOW - this.start)
    assert before.last_day == date(2026, 10, 4)


def test_previous_of_a_finished_period_is_not_cut():
    """Once a period is over, its predecessor is whole."""
    before = previous(period("last week"), NOW)
    assert before.end - before.start == timedelta(days=7, hours=1)  # holds the autumn change
