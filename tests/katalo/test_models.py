"""The models read both documented summary variants and every ledger wrapper, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.katalo.models import BillingEvent, EventsPage, UsageSummary
from tests.conftest import read_fixture


def test_www_summary_reads_access_usage_and_jobs():
    """The www variant (`access`) gives access state, usage figures and job totals."""
    summary = UsageSummary.model_validate(read_fixture("usage_summary_www.json"))
    assert summary.access is not None and summary.access.enabled is True
    assert summary.usage.included == 5000 and summary.usage.consumed == 3120
    assert summary.usage.remaining == 1880 and summary.usage.overage == 0
    assert summary.jobs.failed == 73 and summary.jobs.cache_hit_count == 187
    assert summary.rate_limits == {"policy": "standard", "reads_per_minute": 120}


def test_docs_summary_reads_entitlement_and_derives_missing_figures():
    """The docs variant (`entitlement`) is read too; overage and remaining are derived when absent."""
    summary = UsageSummary.model_validate(read_fixture("usage_summary_docs.json"))
    assert summary.access is not None
    assert summary.access.enabled is False and summary.access.status == "suspended"
    assert summary.usage.consumed == Decimal("2750.5")
    assert summary.usage.overage == Decimal("250.5")
    assert summary.usage.remaining == 0
    assert summary.rate_limits is None


def test_timestamp_without_offset_is_utc_and_offsets_are_kept():
    """A naive timestamp is read as UTC; one with an offset keeps it (and compares correctly)."""
    period = UsageSummary.model_validate(read_fixture("usage_summary_docs.json")).billing_period
    assert period is not None
    assert period.start_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert period.end_at.utcoffset() == timedelta(hours=1)
    assert period.end_at == datetime(2026, 11, 30, 23, tzinfo=UTC)


def test_success_rate_and_fraction_used_are_exact_decimals():
    """Derived ratios are Decimal, computed from the API's integers."""
    summary = UsageSummary.model_validate(read_fixture("usage_summary_www.json"))
    assert summary.usage.fraction_used == Decimal(3120) / Decimal(5000)
    assert summary.jobs.success_rate == Decimal(2031) / Decimal(2104)


def test_summary_without_usage_is_rejected():
    """A body without `usage` is not a usage summary: validation fails instead of showing blanks."""
    with pytest.raises(ValidationError):
        UsageSummary.model_validate({"jobs": {"total": 3}})


def test_models_are_frozen():
    """Models cannot be changed after parsing."""
    summary = UsageSummary.model_validate(read_fixture("usage_summary_www.json"))
    with pytest.raises(ValidationError):
        summary.usage = summary.usage  # type: ignore[misc]


def test_events_page_under_data_with_cursor_and_unknown_keys():
    """`data` wrapper: events in order, money as exact Decimal, the cursor kept, unknown keys ignored."""
    page = EventsPage.model_validate(read_fixture("events_page_data.json"))
    assert [e.event_id for e in page.events] == ["evt_03", "evt_02", "evt_01"]
    assert page.events[1].amount_usd == Decimal("0.40")
    assert page.events[2].billable is False
    assert page.next_cursor == "Y3Vyc29yOjE"
    assert page.order == "newest_first"


def test_events_page_under_items_with_numeric_money_and_no_cursor():
    """`items` wrapper, money as JSON numbers (no float error), naive times as UTC, last page."""
    page = EventsPage.model_validate(read_fixture("events_page_items.json"))
    assert sum(e.amount_usd for e in page.events if e.amount_usd) == Decimal("0.3")
    assert page.events[0].created_at.tzinfo is UTC
    assert page.next_cursor is None
    assert page.order == "oldest_first"


@pytest.mark.parametrize("wrapper", ["data", "events", "items"])
def test_every_documented_wrapper_key_is_accepted(wrapper):
    """The ledger list is found under any of the accepted keys."""
    body = {wrapper: [{"event_id": "e", "job_id": "j", "created_at": "2026-11-24T00:00:00Z"}]}
    assert EventsPage.model_validate(body).events[0].event_id == "e"


def test_empty_next_cursor_means_last_page():
    """An empty-string cursor is treated as no cursor, so a walk ends instead of asking for page ''."""
    assert EventsPage.model_validate({"data": [], "next_cursor": ""}).next_cursor is None


def test_page_without_a_list_is_rejected():
    """A body with no event list under any known key fails validation."""
    with pytest.raises(ValidationError):
        EventsPage.model_validate({"results": []})


def test_event_without_job_id_is_rejected():
    """An event missing its job id cannot be attributed, so it is refused rather than guessed."""
    with pytest.raises(ValidationError):
        BillingEvent.model_validate({"event_id": "e", "created_at": "2026-11-24T00:00:00Z"})


def test_order_is_unknown_for_a_single_event_or_equal_times():
    """One event, or equal timestamps, cannot tell the ordering."""
    event = {"event_id": "e", "job_id": "j", "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    assert EventsPage.model_validate({"data": [event]}).order is None
    assert EventsPage.model_validate({"data": [event, {**event, "event_id": "f"}]}).order is None
