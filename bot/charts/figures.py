"""The figures a chart draws, and the arithmetic both the picture and its alt text use.

Plain frozen dataclasses: Decimal money and units, local dates, the zone's name. Grouping into the top
usage types, the cumulative burn and the run-out date are computed here once, so what a chart shows
and what its alt text says can never disagree. No Pillow here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

TOP_TYPES = 5
WEEK = timedelta(days=7)
OTHER = "other"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG file and the text that says what it shows."""

    png: bytes
    alt_text: str
    width: int
    height: int


@dataclass(frozen=True)
class DaySpend:
    """One local day's spend by usage type (USD)."""

    day: date
    by_type: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.by_type.values(), ZERO)


@dataclass(frozen=True)
class Stack:
    """The daily spend grouped for drawing: `types` (top 5, then "other") and one row per day."""

    types: tuple[str, ...]
    rows: tuple[tuple[Decimal, ...], ...]  # rows[day][type], aligned with `types`
    type_totals: tuple[Decimal, ...]


@dataclass(frozen=True)
class DailySpend:
    """Spend per local day for a period: consecutive days, oldest first (days without spend included).

    `scope` names a narrowing the figures carry ("type upscale"), said in the subtitle and alt text.
    `weekly` (made by `by_week`): each entry is a week from Monday, dated by its first day in the
    period (the first and last weeks may be cut short by the period), and `through` is the period's
    last day.
    """

    zone: str
    days: tuple[DaySpend, ...]
    scope: str = ""
    weekly: bool = False
    through: date | None = None  # the last local day covered; None: the last entry's day

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("A daily spend chart needs at least one day.")
        for before, after in zip(self.days, self.days[1:], strict=False):
            if after.day != before.day + timedelta(days=1) and not (
                self.weekly and after.day.weekday() == 0 and after.day - before.day <= WEEK
            ):
                raise ValueError(f"The days of a daily spend chart must be consecutive ({after.day}).")
        if self.through is not None and not self.days[-1].day <= self.through < self.days[-1].day + WEEK:
            raise ValueError(f"A chart's last day {self.through} is not in its last entry.")

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.through or self.days[-1].day

    def short_weeks(self) -> str:
        """`first week 1 day, last week 6 days`: the weeks the period cuts short ("" for a daily chart),
        so a short bar is not read as a quiet week."""
        if not self.weekly:
            return ""
        ends = [day.day for day in self.days[1:]] + [self.last_day + timedelta(days=1)]
        lengths = [(end - day.day).days for day, end in zip(self.days, ends, strict=True)]
        short = [(which, n) for which, n in (("first", lengths[0]), ("last", lengths[-1])) if n < WEEK.days]
        if len(lengths) == 1:
            short = short[:1]
        return ", ".join(f"{which} week {n} day" + ("" if n == 1 else "s") for which, n in short)

    def by_week(self) -> DailySpend:
        """The same spend in weeks from Monday: one entry a week, each the sum of its days."""
        weeks: list[tuple[date, dict[str, Decimal]]] = []
        for day in self.days:
            if not weeks or day.day.weekday() == 0:
                weeks.append((day.day, {}))
            sums = weeks[-1][1]
            for kind, amount in day.by_type.items():
                sums[kind] = sums.get(kind, ZERO) + amount
        entries = tuple(DaySpend(start, sums) for start, sums in weeks)
        return DailySpend(self.zone, entries, self.scope, weekly=True, through=self.last_day)

    @property
    def total(self) -> Decimal:
        return sum((day.total for day in self.days), ZERO)

    @property
    def biggest_day(self) -> DaySpend:
        """The day with the most spend; the earliest of equal days."""
        return max(self.days, key=lambda day: (day.total, -day.day.toordinal()))

    def stack(self, top: int = TOP_TYPES) -> Stack:
        """The `top` usage types by the period's spend; the rest (and a type named "other") as "other"."""
        sums: dict[str, Decimal] = {}
        for day in self.days:
            for kind, amount in day.by_type.items():
                sums[kind] = sums.get(kind, ZERO) + amount
        ranked = sorted((k for k, v in sums.items() if v > 0 and k != OTHER), key=lambda k: (-sums[k], k))
        kept = ranked[:top]
        folded = set(sums) - set(kept)
        types = tuple(kept) + ((OTHER,) if any(sums[k] for k in folded) else ())
        rows = tuple(
            tuple(day.by_type.get(k, ZERO) for k in kept)
            + ((sum((v for k, v in day.by_type.items() if k in folded), ZERO),) if OTHER in types else ())
            for day in self.days
        )
        totals = tuple(sum((row[i] for row in rows), ZERO) for i in range(len(types)))
        return Stack(types, rows, totals)


@dataclass(frozen=True)
class BurnDown:
    """Plan units consumed in a billing period, day by day up to today (the last day given).

    `end` is the first local day after the period (where the straight line reaches `included`).
    `pace_per_day` is the caller's pace (the digest uses the trailing week); None: the period's
    average so far.
    """

    zone: str
    start: date
    end: date
    included: Decimal
    consumed_by_day: tuple[Decimal, ...]
    pace_per_day: Decimal | None = None

    def __post_init__(self) -> None:
        if self.included <= 0:
            raise ValueError("A burn-down needs a plan with included units above zero.")
        if self.end <= self.start:
            raise ValueError("A billing period must end after it starts.")
        if not self.consumed_by_day or len(self.consumed_by_day) > self.days:
            raise ValueError("A burn-down needs one figure for each day from the period's start to today.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def today(self) -> date:
        return self.start + timedelta(days=len(self.consumed_by_day) - 1)

    @property
    def cumulative(self) -> tuple[Decimal, ...]:
        """Units consumed by the end of each day (today: so far)."""
        running, out = ZERO, []
        for units in self.consumed_by_day:
            running += units
            out.append(running)
        return tuple(out)

    @property
    def consumed(self) -> Decimal:
        return self.cumulative[-1]

    @property
    def fraction(self) -> Decimal:
        return self.consumed / self.included

    @property
    def pace(self) -> Decimal:
        """Units a day: the caller's pace, else the average of the days so far (today counted whole)."""
        if self.pace_per_day is not None:
            return self.pace_per_day
        return self.consumed / len(self.consumed_by_day)

    @property
    def used_up_on(self) -> date | None:
        """The day the consumption reached `included`, if it has."""
        for offset, running in enumerate(self.cumulative):
            if running >= self.included:
                return self.start + timedelta(days=offset)
        return None

    @property
    def run_out(self) -> date | None:
        """The day the included units run out at `pace`, when that is before the period ends.

        The digest's rule (bot.digest.compose): whole days of remaining units at the pace, rounded up.
        """
        if self.used_up_on is not None:
            return self.used_up_on
        if self.pace <= 0:
            return None
        days = ((self.included - self.consumed) / self.pace).to_integral_value(rounding=ROUND_CEILING)
        if days >= (self.end - self.today).days:  # compared before building a date, which could overflow
            return None
        return self.today + timedelta(days=int(days))
