"""The daily spend chart: the picture (decoded back) and the figures its alt text states."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.charts.alt import ALT_MAX
from bot.charts.canvas import INK
from bot.charts.daily import labelled_days, render_daily_spend
from bot.charts.figures import OTHER, DailySpend, DaySpend
from bot.charts.frame import OTHER_COLOUR, PALETTE
from bot.formatting import usd
from tests.charts.pixels import column_counts, count, decode, ink_box, runs

ZONE = "Europe/Berlin"
START = date(2026, 11, 1)
BASELINE_ROW = 720 - 76 - 4  # just above the zero line, where every bar's bottom segment is


def period(amounts: list[dict[str, str]], start: date = START) -> DailySpend:
    days = [
        DaySpend(start + timedelta(days=i), {k: Decimal(v) for k, v in a.items()})
        for i, a in enumerate(amounts)
    ]
    return DailySpend(ZONE, tuple(days))


def month(seed: int = 3, days: int = 31, kinds: int = 4) -> list[dict[str, str]]:
    """Realistic spend: a few usage types, whole dimes, some quiet days."""
    rng = random.Random(seed)
    names = ["generation", "regeneration", "upscale", "inpaint", "video", "voice", "caption", "mask"][:kinds]
    return [
        {name: f"{rng.randint(0, 900) / 10:.2f}" for name in names if rng.random() > 0.15}
        for _ in range(days)
    ]


def test_a_month_is_a_1280_by_720_png_with_one_bar_per_day():
    """31 days give 31 separate bars along the baseline, on the light card, at 1280 x 720."""
    data = [{"generation": "40.00", "upscale": "5.50"} for _ in range(31)]
    image = decode(render_daily_spend(period(data)).png)
    assert image.size == (1280, 720)
    assert runs(image, BASELINE_ROW, PALETTE[0]) == 31
    assert len(image.getcolors(1 << 20) or []) > 50  # text, bars, grid: not a blank or flat picture


def test_each_usage_type_has_its_own_colour_in_the_picture():
    """The top types are drawn in the first palette colours, in rank order; the rest in grey."""
    data = month(kinds=8)
    figures = period(data)
    image = decode(render_daily_spend(figures).png)
    stack = figures.stack()
    assert len(stack.types) == 6 and stack.types[-1] == OTHER
    for colour in (*PALETTE, OTHER_COLOUR):
        assert count(image, colour) > 300, colour


def test_alt_text_states_the_total_the_biggest_day_and_top_types_from_the_data():
    """The alt text's figures are the sums of the input, computed here independently."""
    data = month()
    chart = render_daily_spend(period(data))
    day_totals = [sum((Decimal(v) for v in day.values()), Decimal(0)) for day in data]
    top = max(range(len(data)), key=lambda i: (day_totals[i], -i))
    by_type: dict[str, Decimal] = {}
    for day in data:
        for kind, value in day.items():
            by_type[kind] = by_type.get(kind, Decimal(0)) + Decimal(value)
    biggest_kind = max(by_type, key=lambda k: by_type[k])
    assert f"total {usd(sum(day_totals, Decimal(0)))} over 31 days" in chart.alt_text
    assert f"Biggest day {START + timedelta(days=top):%b %-d}: {usd(day_totals[top])}" in chart.alt_text
    assert f"By type: {biggest_kind} {usd(by_type[biggest_kind])}" in chart.alt_text
    assert ZONE in chart.alt_text and "Nov 1 - Dec 1, 2026" in chart.alt_text


def test_many_types_fold_into_top_five_and_other_that_add_up():
    """With 8 types, 5 are kept by spend and 'other' holds the rest: per day and in total, nothing is lost."""
    data = month(kinds=8)
    figures = period(data)
    stack = figures.stack()
    for day, row in zip(figures.days, stack.rows, strict=True):
        assert sum(row, Decimal(0)) == day.total
    assert sum(stack.type_totals, Decimal(0)) == figures.total
    kept = list(stack.type_totals[:5])
    assert kept == sorted(kept, reverse=True)
    assert stack.type_totals[5] <= kept[-1] * 3  # "other" is three types at most each below the fifth


def test_a_type_named_other_joins_the_other_group_rather_than_appearing_twice():
    figures = period([{"other": "9.00", "a": "1.00", "b": "1.00", "c": "1.00", "d": "1.00", "e": "1.00"}])
    stack = figures.stack()
    assert stack.types.count(OTHER) == 1 and stack.type_totals[-1] == Decimal("9.00")


def test_a_period_without_spend_says_so_and_draws_no_bars():
    chart = render_daily_spend(period([{} for _ in range(14)]))
    image = decode(chart.png)
    assert chart.alt_text.endswith("no spend in this period.")
    assert count(image, PALETTE[0]) == 0
    assert ink_box(image) is not None  # the title, axis and the sentence are there


def test_one_day_draws_one_bar():
    chart = render_daily_spend(period([{"generation": "18.80", "regeneration": "1.60"}]))
    image = decode(chart.png)
    assert runs(image, BASELINE_ROW, PALETTE[0]) == 1
    assert "total $20.40 over 1 day." in chart.alt_text and "Nov 1, 2026" in chart.alt_text


@pytest.mark.parametrize("amount", ["12345678.90", "0.01", "0.004"])
def test_huge_and_tiny_amounts_stay_inside_the_card(amount):
    """Long dollar labels widen the axis instead of running off the picture; sub-cent spend still draws."""
    chart = render_daily_spend(period([{"generation": amount} for _ in range(31)]))
    image = decode(chart.png)
    box = ink_box(image)
    assert box is not None and min(box[0], box[1], 1280 - box[2], 720 - box[3]) >= 12
    assert runs(image, BASELINE_ROW, PALETTE[0]) == 31


def test_a_credit_day_draws_no_negative_bar_and_keeps_its_net_total():
    chart = render_daily_spend(period([{"generation": "10.00"}, {"generation": "2.00", "credit": "-5.00"}]))
    assert "total $7.00 over 2 days" in chart.alt_text
    assert runs(decode(chart.png), BASELINE_ROW, PALETTE[0]) == 2


def test_alt_text_stays_within_slacks_limit_with_absurd_type_names():
    data = [{("x" * 400) + str(k): "1.00" for k in range(7)}]
    chart = render_daily_spend(period(data))
    assert len(chart.alt_text) == ALT_MAX and chart.alt_text.endswith("…")


def test_a_type_name_the_font_cannot_draw_still_renders_and_keeps_its_name_in_alt_text():
    chart = render_daily_spend(period([{"génération": "3.00"}]))
    assert "génération $3.00" in chart.alt_text
    assert decode(chart.png).size == (1280, 720)


def test_days_must_be_consecutive():
    days = (DaySpend(START), DaySpend(START + timedelta(days=2)))
    with pytest.raises(ValueError, match="consecutive"):
        DailySpend(ZONE, days)
    with pytest.raises(ValueError, match="at least one day"):
        DailySpend(ZONE, ())


def _inked_columns(png: bytes, top: int, bottom: int) -> int:
    """Columns right of the value axis with text ink between `top` and `bottom` (the totals' band)."""
    image = decode(png).crop((150, top, 1240, bottom))
    return sum(1 for pixels in column_counts(image, INK) if pixels)


def test_two_months_label_only_the_biggest_day_so_totals_never_overlap():
    """62 bars leave no room for 62 totals, even upright: only the biggest day's is written."""
    data = month(days=62)
    figures = period(data)
    chart = render_daily_spend(figures)
    assert _inked_columns(chart.png, 130, 600) < 40  # one upright label, not a wall of them
    assert usd(figures.biggest_day.total) in chart.alt_text
    few = render_daily_spend(period(data[:31])).png
    assert _inked_columns(few, 130, 600) > 31 * 10  # a month keeps a total over every bar


@pytest.mark.parametrize("start", [date(2026, 10, 5), date(2026, 10, 6), date(2026, 2, 20)])
def test_day_labels_give_way_to_the_first_of_the_month(start):
    """Crowded bars get every other day's number; the 1st always, and never a neighbour's beside it."""
    days = [start + timedelta(days=i) for i in range(62)]
    shown = labelled_days(days, every=2)
    assert all(later - earlier >= 2 for earlier, later in itertools.pairwise(shown))
    assert {i for i, day in enumerate(days) if day.day == 1} <= set(shown)
    assert len(shown) >= 29  # about every other day, not a few
    assert labelled_days(days, every=1) == list(range(62))
