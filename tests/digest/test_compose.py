"""The run-out projection: when the included units run out at the trailing week's pace."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.digest.compose import _project
from bot.katalo.models import UsageSummary

NOW = datetime(2026, 11, 24, 8, tzinfo=UTC)


def summary(included: int, consumed: int) -> UsageSummary:
    return UsageSummary.model_validate(
        {
            "usage": {"included": included, "consumed": consumed},
            "billing_period": {"start_at": "2026-11-01T00:00:00Z", "end_at": "2026-12-01T00:00:00Z"},
        }
    )


def test_runs_out_within_the_period_at_this_pace():
    """400 left at 100 a day: four days from today, inside the period."""
    assert _project(summary(5000, 4600), Decimal(100), NOW, UTC).run_out == date(2026, 11, 28)


def test_lasting_beyond_the_period_is_not_at_this_pace():
    assert _project(summary(5000, 1000), Decimal(10), NOW, UTC).run_out is None


def test_a_tiny_pace_with_a_huge_plan_does_not_overflow():
    """One event a week against 10 million units left: "not at this pace", not an OverflowError."""
    assert _project(summary(10_000_000, 0), Decimal(1) / 7, NOW, UTC).run_out is None


def test_already_used_up_is_today():
    assert _project(summary(100, 150), Decimal(5), NOW, UTC).run_out == date(2026, 11, 24)
