"""The pace rule: the run-out date before the period ends, once, and again only 2 days earlier."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.alerts.pace import check_pace
from bot.charts.figures import BurnDown

NOV_1, DEC_1 = date(2026, 11, 1), date(2026, 12, 1)


def burn(included: str, days: int = 20, per_day: str = "100", pace: str = "100") -> BurnDown:
    """Nov 1 .. Nov `days` consumed at `per_day` units a day; today is the last of them."""
    return BurnDown(
        "America/New_York", NOV_1, DEC_1, Decimal(included), (Decimal(per_day),) * days, Decimal(pace)
    )


def test_the_alert_says_when_the_plan_runs_out_and_how_early():
    """2,000 used of 2,700 on Nov 20 at 100 a day: runs out Nov 27, 4 days before the period ends."""
    alert = check_pace(burn("2700"), None).alert
    assert alert is not None
    assert alert.sentence == "At this pace the plan runs out on Nov 27, 4 days before the period ends."


@pytest.mark.parametrize(
    ("included", "run_out", "days_early"),
    [("3000", date(2026, 11, 30), 1), ("2650", date(2026, 11, 27), 4)],
    ids=["last-day", "rounded-up"],
)
def test_the_run_out_date_is_the_burn_down_charts(included, run_out, days_early):
    """Whole days rounded up (650 at 100 a day is 7 days), as the chart and the digest say."""
    alert = check_pace(burn(included), None).alert
    assert alert is not None and (alert.run_out, alert.days_early) == (run_out, days_early)


def test_one_day_early_is_said_in_the_singular():
    """Running out on the period's last day is "1 day before"."""
    alert = check_pace(burn("3000"), None).alert
    assert alert is not None and alert.sentence.endswith("on Nov 30, 1 day before the period ends.")


def test_a_plan_that_lasts_the_period_raises_nothing():
    """1,001 left with 11 days to go at 100 a day runs out on Dec 1, the period's end: no alert."""
    check = check_pace(burn("3001"), None)
    assert check.alert is None and "last the period" in check.reason


def test_a_plan_already_used_up_is_left_to_the_100_percent_alert():
    """Consumption past the included units is no pace alert."""
    check = check_pace(burn("1900"), None)
    assert check.alert is None and "already used up" in check.reason


@pytest.mark.parametrize(
    ("last_alerted", "alerts"),
    [
        (date(2026, 11, 29), True),
        (date(2026, 11, 28), False),
        (date(2026, 11, 27), False),
        (date(2026, 11, 25), False),
    ],
    ids=["two-days-earlier", "one-day-earlier", "same-day", "later"],
)
def test_a_new_alert_needs_the_date_to_move_at_least_two_days_earlier(last_alerted, alerts):
    """Last alerted Nov 29, now Nov 27: alert again; Nov 28, Nov 27 or later: not."""
    assert (check_pace(burn("2700"), last_alerted).alert is not None) is alerts
