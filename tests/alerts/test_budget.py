"""Budgets in money: thresholds crossed exactly, once each per window, and the window itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.alerts.budget import Budget, budget_window, check_budget

D = Decimal
BUDGET = Budget(D(500))


@pytest.mark.parametrize(
    ("spent", "crossed"),
    [("249.99", ()), ("250", (50,)), ("399.99", (50,)), ("400", (50, 80)), ("500", (50, 80, 100))],
    ids=["below-50", "at-50", "below-80", "at-80", "at-100"],
)
def test_a_threshold_is_crossed_when_the_spend_reaches_it(spent, crossed):
    """Reaching exactly 50% of $500 ($250) crosses 50; a cent less does not."""
    assert check_budget(BUDGET, D(spent), ()).crossed == crossed


def test_only_thresholds_not_yet_alerted_are_new():
    """At 85% with 50 alerted, only 80 is new."""
    assert check_budget(BUDGET, D(425), {50}).new == (80,)


def test_a_jump_past_several_thresholds_returns_them_all():
    """From nothing to 105% in one check: 50, 80 and 100 are all new."""
    assert check_budget(BUDGET, D(525), ()).new == (50, 80, 100)


def test_the_fraction_spent_is_exact():
    """$125 of $500 is 0.25 of the budget."""
    assert check_budget(BUDGET, D(125), ()).fraction == D("0.25")


def test_thresholds_are_configurable_and_kept_in_order():
    """Thresholds 90, 25, 90 become 25 and 90."""
    assert Budget(D(100), thresholds=(90, 25, 90)).thresholds == (25, 90)


@pytest.mark.parametrize("amount", ["0", "-5", "NaN", "Infinity"])
def test_a_budget_must_be_money_above_zero(amount):
    """Zero, negative or not-a-number budgets are refused with a sentence."""
    with pytest.raises(ValueError, match=r"above \$0"):
        Budget(D(amount))


def test_thresholds_must_be_positive_percentages():
    """A threshold of 0% would alert at once: refused."""
    with pytest.raises(ValueError, match="percentages above 0"):
        Budget(D(100), thresholds=(0, 50))


@pytest.mark.parametrize(
    ("today", "window"),
    [
        (date(2026, 11, 1), (date(2026, 11, 1), date(2026, 12, 1))),
        (date(2026, 11, 30), (date(2026, 11, 1), date(2026, 12, 1))),
        (date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1))),
        (date(2027, 2, 14), (date(2027, 2, 1), date(2027, 3, 1))),
    ],
    ids=["first-day", "last-day", "december", "february"],
)
def test_a_monthly_budget_covers_the_calendar_month_of_today(today, window):
    """[first of the month, first of the next month), across a year's end too."""
    assert budget_window("monthly", today, None) == window


def test_a_period_budget_covers_the_billing_period():
    """The billing period's local dates, whatever today is within them."""
    period = (date(2026, 11, 15), date(2026, 12, 15))
    assert budget_window("period", date(2026, 12, 1), period) == period


def test_a_period_budget_without_a_billing_period_says_to_use_a_monthly_one():
    """No billing period from Katalo: a clear sentence, not a crash."""
    with pytest.raises(ValueError, match="use a monthly budget"):
        budget_window("period", date(2026, 12, 1), None)
