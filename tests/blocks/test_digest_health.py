"""The digest's Health section: its one-line reconciliation, composed from plain figures (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.blocks.digest import build_digest
from bot.figures import DigestFigures, Freshness, LedgerCheck, Tally, WindowTotals
from bot.katalo.cache import Fetched
from bot.katalo.models import UsageSummary

BERLIN = ZoneInfo("Europe/Berlin")
AS_OF = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
CHECKED = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)  # 15:05 CET


def figures(check: LedgerCheck | None, *, stale: bool = False, complete: bool = True) -> DigestFigures:
    summary = UsageSummary.model_validate(
        {
            "usage": {"included": 2500, "consumed": str(check.consumed if check else 0)},
            "billing_period": {"start_at": "2026-11-01T00:00:00Z", "end_at": "2026-12-01T00:00:00Z"},
        }
    )
    start, end = datetime(2026, 11, 22, 23, tzinfo=UTC), datetime(2026, 11, 23, 23, tzinfo=UTC)
    day = WindowTotals(start, end, Tally(0, Decimal("0.00")), {}, {})
    return DigestFigures(
        local_date=date(2026, 11, 23),
        zone=BERLIN,
        window=(start, end),
        day=day,
        jobs=0,
        top_jobs=[],
        summary=Fetched(summary, AS_OF, stale=stale),
        summary_error=None,
        projection=None,
        freshness=Freshness(complete, AS_OF, AS_OF),
        as_of=AS_OF,
        ledger_check=check,
    )


def check(consumed: int, billable: int, previous: int | None = None) -> LedgerCheck:
    return LedgerCheck(
        consumed=Decimal(consumed),
        billable_events=billable,
        amount_usd=Decimal("567.89"),
        previous_difference=None if previous is None else Decimal(previous),
        previous_at=None if previous is None else CHECKED,
    )


def health(found: DigestFigures) -> str:
    for block in build_digest(found)["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if text.startswith("*Health*"):
            return str(text)
    return ""


def test_equal_figures_agree():
    assert health(figures(check(1234, 1234))) == (
        "*Health*\n:white_check_mark: Reconcile: the mirror and Katalo agree "
        "(1,234 billable events, 1,234 units consumed, $567.89 this period)."
    )


def test_a_difference_unchanged_since_the_last_check_is_not_flagged():
    assert health(figures(check(1237, 1234, previous=3))) == (
        "*Health*\n:white_check_mark: Reconcile: the mirror and Katalo differ by 3 units, unchanged "
        "since the check of Nov 20 15:05 CET (1,234 billable events, 1,237 units consumed, "
        "$567.89 this period)."
    )


def test_a_difference_that_moved_since_the_last_check_asks_for_reconcile():
    assert health(figures(check(1237, 1234, previous=0))) == (
        "*Health*\n:warning: Reconcile: the mirror and Katalo differ by 3 units, 3 more than at the check "
        "of Nov 20 15:05 CET (1,234 billable events, 1,237 units consumed, $567.89 this period): "
        "run `/katalo reconcile`."
    )


def test_a_difference_that_shrank_says_fewer():
    assert "differ by 1 unit, 4 fewer than at the check of" in health(figures(check(1235, 1234, previous=5)))


def test_a_difference_with_no_check_to_compare_asks_for_reconcile():
    assert health(figures(check(1230, 1234))) == (
        "*Health*\n:warning: Reconcile: the mirror and Katalo differ by 4 units (1,234 billable events, "
        "1,230 units consumed, $567.89 this period), with no check this period to compare: "
        "run `/katalo reconcile`."
    )


def test_stale_or_behind_figures_are_not_reconciled():
    """A summary Katalo did not refresh, or a mirror behind: no verdict on figures not current."""
    for found in (figures(check(1237, 1234), stale=True), figures(check(1237, 1234), complete=False)):
        text = health(found)
        assert "Reconcile: not checked today" in text and "differ" not in text


def test_a_mirror_behind_katalos_figures_gets_no_verdict():
    """Katalo read at 09:00, the mirror complete to 08:58: a different figure there is only timing."""
    behind = replace(
        check(1237, 1234, previous=0), counted_before=AS_OF, mirror_through=AS_OF - timedelta(minutes=2)
    )
    assert health(figures(behind)) == (
        "*Health*\nReconcile: not checked, as the mirror is 2 min behind Katalo's figures: "
        "the comparison waits for it to catch up."
    )


def test_a_mirror_never_synced_gets_no_verdict():
    never = replace(check(1237, 1234, previous=0), counted_before=AS_OF, mirror_through=None)
    assert "Reconcile: not checked, as the mirror has not yet caught up with Katalo's figures" in health(
        figures(never)
    )


def test_a_mirror_complete_exactly_to_katalos_moment_is_judged():
    level = replace(check(1234, 1234), counted_before=AS_OF, mirror_through=AS_OF)
    assert "Reconcile: the mirror and Katalo agree" in health(figures(level))


def test_without_a_billing_period_there_is_no_reconcile_line():
    found = replace(figures(None), ledger_check=None)
    assert "Reconcile" not in health(found)
