"""The figures of one digest, gathered from the ledger mirror and the usage summary.

Every figure traces to the API: yesterday's come from ledger events in the local day's window (exact
sums), the period's from the usage summary. The run-out projection is the one estimate, and says
what it assumes: the trailing 7-day rate of billable events, one generation unit each.

The Health section's reconcile line (`LedgerCheck`) costs no Katalo request: it sets the summary
already read against the mirror's billing-period totals and the difference the last
`/katalo reconcile` stored, two database reads. It re-reads no ledger page; the full check does.

Both sides count at one moment, the summary's `fetched_at`: the mirror's events created before it, and
only once the mirror's last sync ended at or after it (before, events made in between would read as a
change). So the summary is read first and the mirror synced after whenever its last sync ended before
that moment (one incremental page, usually; digests of several channels at one minute share the cached
summary, so only the first syncs). When that sync cannot finish, the line says it waits for the mirror.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, Decimal

from bot.db.reconcile_checks import ReconcileChecks
from bot.digest.schedule import day_window
from bot.figures import DigestFigures, LedgerCheck, Projection
from bot.katalo.cache import Fetched
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.models import UsageSummary
from bot.ledger.at_moment import counted_window
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries

DIGEST_MIRROR_MAX_AGE = 120.0
DIGEST_MIRROR_TIME_LIMIT = 60.0  # no one is waiting on a scheduled digest; the budget still applies
TRAILING_DAYS = 7


def compose_digest(
    local_date: date, zone: tzinfo, *, client: KataloClient, mirror: LedgerMirror, now: datetime
) -> DigestFigures:
    summary: Fetched[UsageSummary] | None = None
    error: KataloError | None = None
    try:  # before the sync, so that a sync this digest runs covers the summary's moment
        summary = client.usage_summary(allow_stale=True)
    except KataloError as failure:
        error = failure
    # Fresh means synced since Katalo's figures were read (at most DIGEST_MIRROR_MAX_AGE ago), so the
    # reconcile line can compare both at that moment instead of waiting for the clock's next sync.
    since_summary = (now - summary.fetched_at).total_seconds() if summary else DIGEST_MIRROR_MAX_AGE
    max_age = max(0.0, min(DIGEST_MIRROR_MAX_AGE, since_summary))
    freshness = mirror.ensure_fresh(max_age, DIGEST_MIRROR_TIME_LIMIT)
    start, end = day_window(local_date, zone)
    queries = mirror.queries
    week = queries.totals(end - timedelta(days=TRAILING_DAYS), end).by_billable.get(True)
    per_day = Decimal(week.events if week else 0) / TRAILING_DAYS
    return DigestFigures(
        local_date=local_date,
        zone=zone,
        window=(start, end),
        day=queries.totals(start, end),
        jobs=queries.job_count(start, end),
        top_jobs=queries.top_jobs(start, end, limit=5),
        summary=summary,
        summary_error=error,
        projection=_project(summary.value if summary else None, per_day, now, zone),
        freshness=freshness,
        as_of=now,
        set_aside=queries.set_aside_count(),
        ledger_check=_ledger_check(summary, freshness.synced_at, mirror),
    )


def _ledger_check(
    summary: Fetched[UsageSummary] | None, synced_at: datetime | None, mirror: LedgerMirror
) -> LedgerCheck | None:
    """The summary's consumed units against the mirror's billable events of the billing period that were
    created before the summary was read (`fetched_at`, earlier when it came from the cache)."""
    if summary is None or summary.value.billing_period is None:
        return None
    period = summary.value.billing_period
    engine = mirror.store.engine
    totals = SpendQueries(engine).totals(*counted_window(period.start_at, period.end_at, summary.fetched_at))
    last = ReconcileChecks(engine).last(period.start_at)
    return LedgerCheck(
        consumed=summary.value.usage.consumed,
        billable_events=totals.billable_events,
        amount_usd=totals.amount_usd,
        previous_difference=last.difference if last else None,
        previous_at=last.checked_at if last else None,
        counted_before=summary.fetched_at,
        mirror_through=synced_at,
    )


def _project(
    summary: UsageSummary | None, per_day: Decimal, now: datetime, zone: tzinfo
) -> Projection | None:
    if summary is None or summary.usage.included is None or summary.billing_period is None:
        return None
    remaining = summary.usage.remaining or Decimal(0)
    if remaining <= 0:
        return Projection(per_day, now.astimezone(zone).date())  # already used up
    if per_day <= 0:
        return Projection(per_day, None)
    days = (remaining / per_day).to_integral_value(rounding=ROUND_CEILING)
    today = now.astimezone(zone).date()
    period_end = summary.billing_period.end_at.astimezone(zone).date()
    if days >= (period_end - today).days:  # compared before building a date, which could overflow
        return Projection(per_day, None)
    return Projection(per_day, today + timedelta(days=int(days)))
