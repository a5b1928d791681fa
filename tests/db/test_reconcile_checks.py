"""The last reconciliation's difference per billing period, kept exactly, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.db.reconcile_checks import LastCheck, ReconcileChecks

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_each_check_hands_back_the_one_before_it_for_its_period(engine):
    checks = ReconcileChecks(engine)
    assert checks.swap(NOVEMBER, Decimal("0"), NOW) is None
    later = NOW + timedelta(hours=1)
    assert checks.swap(NOVEMBER, Decimal("2.5"), later) == LastCheck(Decimal("0"), NOW)
    assert checks.swap(DECEMBER, Decimal("-3"), later) is None  # another period starts afresh
    assert checks.swap(NOVEMBER, Decimal("7"), later) == LastCheck(Decimal("2.5"), later)
