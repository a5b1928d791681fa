"""Figures look the same everywhere: money to the cent, units with separators, bars that saturate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import clock_time, percent, progress_bar, span, units, usd


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0"), "$0.00"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0.125"), "$0.12"),  # half to even: no systematic upward drift over many rows
        (Decimal("0.135"), "$0.14"),
        (Decimal("-3"), "-$3.00"),
        (Decimal("1000000.004"), "$1,000,000.00"),
    ],
)
def test_usd(amount, shown):
    """Dollar amounts are shown to the cent with thousands separators."""
    assert usd(amount) == shown


@pytest.mark.parametrize(
    ("value", "shown"), [(Decimal(3120), "3,120"), (Decimal("2750.50"), "2,750.5"), (0, "0")]
)
def test_units(value, shown):
    """Units drop a zero fraction and keep a real one."""
    assert units(value) == shown


def test_percent_rounds_half_up():
    """62.45% shows as 62.5%, as people round."""
    assert percent(Decimal("0.6245")) == "62.5%"
    assert percent(Decimal(3120) / Decimal(5000)) == "62.4%"


@pytest.mark.parametrize(
    ("fraction", "bar"),
    [
        (Decimal(0), "░" * 10),
        (Decimal("0.5"), "█" * 5 + "░" * 5),
        (Decimal("1.7"), "█" * 10),
        (Decimal(-1), "░" * 10),
    ],
)
def test_progress_bar(fraction, bar):
    """The bar fills with the fraction and stays within its width past 100%."""
    assert progress_bar(fraction, width=10) == bar


def test_clock_time_is_local_to_the_zone():
    """ "As of" times are shown in the reader's zone."""
    moment = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)
    assert clock_time(moment, ZoneInfo("Asia/Tokyo")) == "23:02"


def test_a_wait_is_said_in_its_largest_whole_unit():
    waits = [timedelta(milliseconds=300), timedelta(seconds=30), timedelta(seconds=150), timedelta(hours=5)]
    assert [span(wait) for wait in waits] == ["less than a second", "30 s", "2 min", "5 h"]
    assert span(timedelta(days=3, hours=23)) == "3 days"
