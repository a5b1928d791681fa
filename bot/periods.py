"""Periods ("last week", "2026-10", "2026-11-01..2026-11-15") as local dates and exact UTC instants.

Pure: no clock, no I/O. Two steps, so that parsing needs no clock:

    spec = read_period("last week")                          # syntax only: PeriodSpec or None
    period = resolve(spec, now=now, zone=berlin, billing=b)  # Period, or PeriodProblem (a sentence)

A Period covers [start, end) in UTC: `end` is exclusive, so an event at local midnight belongs to the
day that midnight starts, never to two days. Local midnight is found through zoneinfo, so a day is
23, 24 or 25 hours long across daylight-saving changes. Weeks start on Monday.

The billing period ("this period", "last period") is not a calendar period: its instants come from
the usage summary (`BillingBounds`, passed in as data). The period before it ends where it starts and
is one calendar month long when the current one is (same day of month and time, in UTC), otherwise
as long as the current one.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

MAX_DAYS = 400  # the longest period answered; longer ones get a sentence
MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_FIXED = {
    "today": "today",
    "yesterday": "yesterday",
    "this week": "this_week",
    "last week": "last_week",
    "this month": "this_month",
    "last month": "last_month",
    "this period": "this_period",
    "last period": "last_period",
    "this billing period": "this_period",
    "last billing period": "last_period",
}
_LAST_DAYS = re.compile(r"(?:last|past) (\d{1,4}) days?")
_DATE = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_RANGE = re.compile(rf"{_DATE}\s*(?:\.\.|–|—|to)\s*{_DATE}")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_NAMED_MONTH = re.compile(r"([a-z]+)(?: (\d{4}))?")


@dataclass(frozen=True)
class PeriodSpec:
    """What the user asked for, before a clock or a zone gives it dates. `text` reads back the same."""

    kind: str  # one of the values of _FIXED, or last_days, month, date, range
    days: int = 0  # last_days
    first: date | None = None  # date, range, month (its 1st; year 0 when not given)
    last: date | None = None  # range
    year_given: bool = True  # month: False for "october", the latest October not in the future

    @property
    def text(self) -> str:
        """The canonical spelling, which `read_period` reads back to this spec."""
        if self.kind == "last_days":
            return f"last {self.days} days"
        if self.kind == "month" and self.first is not None:
            return f"{self.first:%Y-%m}" if self.year_given else calendar.month_name[self.first.month].lower()
        if self.kind == "date" and self.first is not None:
            return self.first.isoformat()
        if self.kind == "range" and self.first is not None and self.last is not None:
            return f"{self.first.isoformat()}..{self.last.isoformat()}"
        return self.kind.replace("_", " ")


@dataclass(frozen=True)
class BillingBounds:
    """The current billing period's instants, as the usage summary gives them."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Period:
    """Local dates [first_day, last_day] in `zone`, and the exact UTC instants [start, end)."""

    spec: PeriodSpec
    first_day: date
    last_day: date
    zone: tzinfo
    start: datetime
    end: datetime

    @property
    def day_count(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def days(self) -> Iterator[tuple[date, datetime, datetime]]:
        """Each local day with its [start, end) in UTC, clipped to the period (a billing period may
        start or end mid-day)."""
        for offset in range(self.day_count):
            day = self.first_day + timedelta(days=offset)
            start, end = day_bounds(day, self.zone)
            yield day, max(start, self.start), min(end, self.end)


@dataclass(frozen=True)
class PeriodProblem:
    """Why a period cannot be answered, as a sentence for the user."""

    sentence: str


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant at which `day` starts in `zone` (where midnight is skipped, the first instant)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a local calendar day: 23, 24 or 25 hours long."""
    return local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)


def read_period(text: str) -> PeriodSpec | None:
    """The period named by `text` (lower-cased, spaces collapsed), or None when it names none."""
    words = " ".join(text.lower().split())
    if words in _FIXED:
        return PeriodSpec(_FIXED[words])
    if match := _LAST_DAYS.fullmatch(words):
        return PeriodSpec("last_days", days=int(match[1]))
    try:
        if match := _RANGE.fullmatch(words):
            first, last = date(*map(int, match.groups()[:3])), date(*map(int, match.groups()[3:]))
            return PeriodSpec("range", first=first, last=last)
        if match := re.fullmatch(_DATE, words):
            return PeriodSpec("date", first=date(*map(int, match.groups())))
        if match := _ISO_MONTH.fullmatch(words):
            return PeriodSpec("month", first=date(int(match[1]), int(match[2]), 1))
        if (match := _NAMED_MONTH.fullmatch(words)) and match[1] in MONTHS:
            year = int(match[2]) if match[2] else 2000  # a placeholder year, replaced when resolved
            return PeriodSpec("month", first=date(year, MONTHS[match[1]], 1), year_given=bool(match[2]))
    except ValueError:
        return None  # 2026-02-30, month 13, year 0: not a period
    return None


def resolve(
    spec: PeriodSpec, *, now: datetime, zone: tzinfo, billing: BillingBounds | None = None
) -> Period | PeriodProblem:
    """The period `spec` names, as of `now` in `zone`; a PeriodProblem when it cannot be answered."""
    today = now.astimezone(zone).date()
    if spec.kind in ("this_period", "last_period"):
        if billing is None:
            return PeriodProblem("The billing period is not known just now (Katalo did not say): try again.")
        bounds = billing if spec.kind == "this_period" else previous_billing(billing)
        return _from_instants(spec, bounds.start, bounds.end, zone)
    if spec.kind == "last_days" and spec.days < 1:
        return PeriodProblem("Ask for at least one day, e.g. `last 7 days`.")
    first, last = _calendar_days(spec, today)
    if last < first:
        return PeriodProblem(
            f"That range runs backwards ({first.isoformat()} is after {last.isoformat()}): "
            "give the earlier day first, e.g. `2026-11-01..2026-11-15`."
        )
    if first > today:
        return PeriodProblem(f"{_dates(first, last)} is in the future (today is {today.isoformat()}).")
    if (last - first).days + 1 > MAX_DAYS:
        return PeriodProblem(
            f"{_dates(first, last)} spans {(last - first).days + 1:,} days: ask for at most {MAX_DAYS}."
        )
    return Period(
        spec, first, last, zone, local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    )


def previous(period: Period, now: datetime | None = None) -> Period:
    """The period compared against: the previous calendar month for a month, the previous billing
    period for a billing period, otherwise as many local days just before.

    While `period` is still running at `now`, the previous one is cut after the same time has
    elapsed, so "this month so far" is compared with "last month as far as the same point".
    """
    spec, zone = period.spec, period.zone
    if spec.kind in ("this_period", "last_period"):
        bounds = previous_billing(BillingBounds(period.start, period.end))
        before = _from_instants(replace(spec, kind="last_period"), bounds.start, bounds.end, zone)
    else:
        last = period.first_day - timedelta(days=1)
        if spec.kind in ("this_month", "last_month", "month"):
            first = last.replace(day=1)
        else:
            first = last - timedelta(days=period.day_count - 1)
        start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
        before = Period(PeriodSpec("range", first=first, last=last), first, last, zone, start, end)
    if now is not None and period.start < now < period.end:
        cut = min(before.end, before.start + (now - period.start))
        return _from_instants(before.spec, before.start, cut, zone)
    return before


def previous_billing(bounds: BillingBounds) -> BillingBounds:
    """The billing period before `bounds`: a calendar month back when it is a calendar month long."""
    start, end = bounds.start.astimezone(UTC), bounds.end.astimezone(UTC)
    month_back = _add_months(start, -1)
    if month_back is not None and _add_months(start, 1) == end:
        return BillingBounds(month_back, start)
    return BillingBounds(start - (end - start), start)


def _calendar_days(spec: PeriodSpec, today: date) -> tuple[date, date]:
    """First and last local day of a calendar spec, given today's local date."""
    week_start = today - timedelta(days=today.weekday())  # Monday
    month_start = today.replace(day=1)
    match spec.kind:
        case "today":
            return today, today
        case "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        case "this_week":
            return week_start, week_start + timedelta(days=6)
        case "last_week":
            return week_start - timedelta(days=7), week_start - timedelta(days=1)
        case "this_month":
            return month_start, _month_end(month_start)
        case "last_month":
            last = month_start - timedelta(days=1)
            return last.replace(day=1), last
        case "last_days":  # the last N days end today: "last 7 days" is today and the 6 before
            return today - timedelta(days=spec.days - 1), today
        case "month":
            assert spec.first is not None
            first = spec.first
            if not spec.year_given:  # "october": the latest October that has begun
                first = first.replace(year=today.year if first.month <= today.month else today.year - 1)
            return first, _month_end(first)
        case "date":
            assert spec.first is not None
            return spec.first, spec.first
        case "range":
            assert spec.first is not None and spec.last is not None
            return spec.first, spec.last
    raise ValueError(f"not a calendar period: {spec.kind}")


def _from_instants(spec: PeriodSpec, start: datetime, end: datetime, zone: tzinfo) -> Period:
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return Period(spec, first, last, zone, start.astimezone(UTC), end.astimezone(UTC))


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _add_months(moment: datetime, months: int) -> datetime | None:
    """The same day of month and time `months` later; None when that day does not exist."""
    index = moment.year * 12 + moment.month - 1 + months
    try:
        return moment.replace(year=index // 12, month=index % 12 + 1)
    except ValueError:
        return None


def _dates(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
