"""The weekly spend chart (periods longer than MAX_DAYS days): weeks from Monday, each the exact sum
of its days; short weeks named; the picture decoded back; the subtitle never runs off the card."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.charts.canvas import Canvas
from bot.charts.daily import labelled_weeks, render_daily_spend
from bot.charts.figures import DailySpend, DaySpend
from bot.charts.frame import BODY, MARGIN, PALETTE, WIDTH, subtitle_lines
from tests.charts.pixels import decode, runs
from tests.charts.test_daily import BASELINE_ROW, ZONE, month

WEDNESDAY = date(2026, 1, 7)


def days_from(start: date, count: int, seed: int = 5) -> DailySpend:
    spent = [
        DaySpend(start + timedelta(days=i), {k: Decimal(v) for k, v in a.items()})
        for i, a in enumerate(month(seed=seed, days=count))
    ]
    return DailySpend(ZONE, tuple(spent), scope="type upscale")


def test_each_week_is_the_exact_sum_of_its_days_from_monday():
    """A Wednesday start: the first week has 5 days (Wed-Sun), then Monday to Sunday; every type's
    amount of every week equals the sum of its days, and nothing is lost or counted twice."""
    daily = days_from(WEDNESDAY, 100)
    weekly = daily.by_week()
    assert weekly.weekly and weekly.first_day == WEDNESDAY and weekly.last_day == daily.last_day
    assert [w.day for w in weekly.days[:3]] == [WEDNESDAY, date(2026, 1, 12), date(2026, 1, 19)]
    assert all(w.day.weekday() == 0 for w in weekly.days[1:])
    for n, week in enumerate(weekly.days):
        end = weekly.days[n + 1].day if n + 1 < len(weekly.days) else daily.last_day + timedelta(days=1)
        inside = [d for d in daily.days if week.day <= d.day < end]
        for kind in {k for d in inside for k in d.by_type}:
            assert week.by_type[kind] == sum((d.by_type.get(kind, Decimal(0)) for d in inside), Decimal(0))
    assert weekly.total == daily.total and weekly.scope == daily.scope


@pytest.mark.parametrize(
    ("start", "count", "said"),
    [
        (date(2026, 1, 5), 91, ""),  # Monday to Sunday, 13 whole weeks
        (date(2026, 1, 11), 64, "first week 1 day"),  # a Sunday, then 9 whole weeks
        (date(2026, 1, 7), 100, "first week 5 days, last week 4 days"),
        (date(2026, 1, 5), 64, "last week 1 day"),
    ],
)
def test_the_weeks_a_period_cuts_short_are_named(start, count, said):
    """So a short bar is not read as a quiet week: the subtitle and the alt text say which."""
    weekly = days_from(start, count).by_week()
    assert weekly.short_weeks() == said
    alt = render_daily_spend(weekly).alt_text
    assert alt.startswith("Weekly spend, only type upscale, ")
    assert ("weeks from Monday, " + said + ";" if said else "weeks from Monday;") in alt


def test_the_picture_has_one_bar_a_week_and_the_alt_text_the_biggest_week():
    weekly = days_from(date(2026, 1, 5), 91).by_week()
    chart = render_daily_spend(weekly)
    image = decode(chart.png)
    assert image.size == (1280, 720)
    assert runs(image, BASELINE_ROW, PALETTE[0]) == 13
    biggest = max(weekly.days, key=lambda w: (w.total, -w.day.toordinal()))
    assert f"over 13 weeks. Biggest week of {biggest.day:%b %-d}: ${biggest.total:,.2f}." in chart.alt_text


def test_weeks_must_start_on_monday_after_the_first():
    with pytest.raises(ValueError, match="consecutive"):
        DailySpend(ZONE, (DaySpend(WEDNESDAY), DaySpend(WEDNESDAY + timedelta(days=7))), weekly=True)
    with pytest.raises(ValueError, match="last day"):
        DailySpend(ZONE, (DaySpend(date(2026, 1, 5)),), weekly=True, through=date(2026, 1, 12))


def test_week_labels_keep_each_months_first_week_and_never_crowd_it():
    """Every other week when crowded, but a month's first week always (its name is under it), and
    the week before it gives way."""
    weeks = [date(2025, 11, 3) + timedelta(weeks=n) for n in range(58)]
    shown = labelled_weeks(weeks, 2)
    firsts = [i for i, w in enumerate(weeks) if i == 0 or w.month != weeks[i - 1].month]
    assert set(firsts) <= set(shown)
    assert all(b - a >= 2 for a, b in itertools.pairwise(shown))
    assert labelled_weeks(weeks, 1) == list(range(58))


def test_a_long_subtitle_goes_on_to_a_second_line_between_its_parts():
    canvas = Canvas(WIDTH, 720)
    parts = ["Total $301,074.80", "only type upscale, config cfg_0123456789abcdef", "weeks from Monday"]
    parts.append("local days in America/Argentina/Buenos_Aires")
    lines = subtitle_lines(canvas, " · ".join(parts), WIDTH - 2 * MARGIN)
    assert len(lines) == 2 and " · ".join(lines) == " · ".join(parts)
    assert all(canvas.text_width(line, BODY) <= WIDTH - 2 * MARGIN for line in lines)
    [cut] = subtitle_lines(canvas, "x" * 400, WIDTH - 2 * MARGIN)
    assert cut.endswith("…") and canvas.text_width(cut, BODY) <= WIDTH - 2 * MARGIN
