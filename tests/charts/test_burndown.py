"""The plan burn-down: the picture (decoded back) and the figures its alt text states."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.charts.burndown import CONSUMED, PROJECTED, render_burn_down
from bot.charts.figures import BurnDown
from tests.charts.pixels import column_counts, count, decode, ink_box

NOV_1, DEC_1 = date(2026, 11, 1), date(2026, 12, 1)


def burn(included: str, daily: list[str], pace: str | None = None) -> BurnDown:
    return BurnDown(
        "America/New_York",
        NOV_1,
        DEC_1,
        Decimal(included),
        tuple(Decimal(v) for v in daily),
        None if pace is None else Decimal(pace),
    )


def test_the_picture_is_1280_by_720_with_the_consumed_line_drawn():
    chart = render_burn_down(burn("10000", ["310"] * 18))
    image = decode(chart.png)
    assert image.size == (1280, 720)
    assert count(image, CONSUMED) > 2000 and len(image.getcolors(1 << 20) or []) > 50


def test_alt_text_states_consumed_of_included_and_the_percentage_from_the_data():
    daily = ["310", "295", "402.5", "0", "120"]
    chart = render_burn_down(burn("10000", daily))
    consumed = sum(Decimal(v) for v in daily)  # 1,127.5
    assert f"{consumed:,f} of 10,000 units consumed ({consumed / 100:.1f}%) by Nov 5" in chart.alt_text
    assert "Nov 1 - Nov 30, 2026" in chart.alt_text and "America/New_York" in chart.alt_text


def test_a_pace_that_exhausts_the_plan_early_gives_the_run_out_date_and_marks_it():
    """500 of 1,000 used by Nov 10 at 50 a day: 10 more days, so the units run out around Nov 20."""
    chart = render_burn_down(burn("1000", ["50"] * 10))
    assert "At 50 units a day they run out around Nov 20, before the period ends." in chart.alt_text
    assert max(column_counts(decode(chart.png), PROJECTED)) > 150  # the vertical run-out marker


def test_a_pace_that_lasts_the_period_is_on_pace_and_marks_no_date():
    """At 20 a day from 500 on Nov 10, the 1,000 units last 25 more days: past Nov 30."""
    chart = render_burn_down(burn("1000", ["50"] * 10, pace="20"))
    assert "On pace: at 20 units a day the included units last the period." in chart.alt_text
    assert max(column_counts(decode(chart.png), PROJECTED)) < 60  # only the sloped projection


@pytest.mark.parametrize(("pace", "expected"), [("25", "Nov 30"), ("500/21", None)])
def test_run_out_on_the_last_day_counts_and_the_day_after_does_not(pace, expected):
    """500 left on Nov 10 with 21 days to go: 20 days of pace runs out Nov 30, 21 days lasts."""
    figures = burn("1000", ["50"] * 10, pace=str(Decimal(500) / Decimal(21)) if "/" in pace else pace)
    assert (figures.run_out is None and expected is None) or f"{figures.run_out:%b %-d}" == expected


def test_a_plan_already_over_100_percent_says_when_it_was_used_up():
    """1,000 included, 150 a day: the 7th day (Nov 7) reaches 1,050."""
    chart = render_burn_down(burn("1000", ["150"] * 10))
    assert "1,500 of 1,000 units consumed (150.0%)" in chart.alt_text
    assert "Used up on Nov 7; 500 units over the plan so far." in chart.alt_text
    image = decode(chart.png)
    box = ink_box(image)
    assert box is not None and min(box[0], box[1], 1280 - box[2], 720 - box[3]) >= 12
    assert max(column_counts(image, PROJECTED)) > 150


def test_the_default_pace_is_the_average_of_the_days_so_far():
    figures = burn("1000", ["10", "30"])
    assert figures.pace == Decimal(20)


def test_a_plan_without_included_units_or_too_many_days_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="included units above zero"):
        burn("0", ["1"])
    with pytest.raises(ValueError, match="one figure for each day"):
        burn("100", ["1"] * 31)


def test_reaching_exactly_the_included_units_is_used_up():
    """100 a day against 1,000: the plan is used up on the 10th day, with nothing left over."""
    chart = render_burn_down(burn("1000", ["100"] * 10))
    assert "(100.0%) by Nov 10. Used up on Nov 10; 0 units over the plan so far." in chart.alt_text
