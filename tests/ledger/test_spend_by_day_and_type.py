"""Spend by local day and usage type (the charts' query): each cell is its own events' exact sum."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.ledger.spend import DayTypeSpend, by_day_and_type
from tests.ledger.test_spend import BERLIN, NEW_YORK, amount, inside, midnight, synced

__all__ = ["synced"]  # the fixture, shared with the spend tests


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=["berlin", "new_york"])
def test_cells_are_exact_local_days_and_types_across_dst(synced, zone):
    """Oct 20 - Nov 6 holds a DST change in both zones: every (day, type) is its events' sum and count."""
    queries, ledger = synced
    days = [date(2026, 10, 20) + timedelta(days=n) for n in range(18)]
    windows = [(d, midnight(d, zone), midnight(d + timedelta(days=1), zone)) for d in days]
    expected = []
    for day, start, end in windows:
        kinds = defaultdict(list)
        for event in inside(ledger, start, end):
            kinds[event.usage_type].append(event)
        expected += [
            DayTypeSpend(day, kind, amount(events), sum(1 for e in events if e.billable is True))
            for kind, events in sorted(kinds.items(), key=lambda item: item[0] or "")
        ]
    got = by_day_and_type(queries, windows)
    assert got == expected
    assert len({cell.usage_type for cell in got}) > 1
    total = sum((cell.amount_usd for cell in got), Decimal(0))
    assert total == queries.totals(windows[0][1], windows[-1][2]).amount_usd


def test_no_days_is_no_cells(synced):
    queries, _ = synced
    assert by_day_and_type(queries, []) == []
