"""`/katalo reconcile`: the mirror against Katalo for the current billing period, as a private answer.

Three Katalo requests at most: the usage summary (fresh, for `usage.consumed` and the period) and the
newest REREAD_PAGES ledger pages. The mirror is not synced first: the check is of what it holds now,
and events newer than its completeness time are counted as not yet mirrored rather than missing.

The difference is taken at the summary's moment (bot/ledger/at_moment.py): the billable events created
before it, from the mirror and, for what it does not hold yet, from the pages read just after it. When
neither the mirror nor those pages reach that moment, the difference is not judged (nor recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from sqlalchemy import Engine

from bot.blocks._kit import Message
from bot.blocks.reconcile import build_reconcile
from bot.blocks.replies import build_error
from bot.db.reconcile_checks import ReconcileChecks
from bot.figures import Reconciliation, SpendTotals
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.models import BillingEvent
from bot.ledger.at_moment import PagesTally, counted_window, not_yet_mirrored, pages_cover
from bot.ledger.mirror import LedgerMirror
from bot.ledger.recheck import compare_pages
from bot.ledger.spend import SpendQueries
from bot.ledger.store import SyncState

REREAD_PAGES = 2  # the newest pages read again: with the summary, three requests of the budget


@dataclass
class Reconciler:
    client: KataloClient
    mirror: LedgerMirror
    zone: tzinfo = UTC
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def answer(self, *, shared_by: str | None = None) -> Message:
        """The reconciliation as a message; a Katalo failure as its usual sentence."""
        try:
            return build_reconcile(self.check(), zone=self.zone, shared_by=shared_by)
        except KataloError as error:
            return build_error(error)

    def check(self) -> Reconciliation:
        """Read Katalo's figures and pages, compare them with the mirror, record the difference."""
        fetched = self.client.usage_summary(refresh=True)
        summary = fetched.value
        events, reached_end = self._reread()  # after the summary: they can cover its moment
        state = self.mirror.state()
        engine = self.mirror.store.engine
        reread = compare_pages(
            engine,
            events,
            order=state.page_order,
            reached_end=reached_end,
            complete_through=state.complete_through,
        )
        caught_up = _caught_up(state, fetched.fetched_at, events, reached_end)
        now = self.now()
        counted, last = _Counted(), None
        if summary.billing_period is not None:
            period = (summary.billing_period.start_at, summary.billing_period.end_at)
            counted = _count(engine, period, fetched.fetched_at, events, state)
            checks = ReconcileChecks(engine)
            if caught_up:
                last = checks.swap(period[0], summary.usage.consumed - counted.billable, now)
            else:  # no difference to record: the previous one stays for the next check to compare
                last = checks.last(period[0])
        return Reconciliation(
            period=counted.period,
            mirror=counted.totals,
            consumed=summary.usage.consumed,
            previous_difference=last.difference if last else None,
            previous_at=last.checked_at if last else None,
            complete_through=state.complete_through,
            synced_at=state.last_success_at,
            last_error=state.last_error,
            reread=reread,
            set_aside=self.mirror.queries.set_aside_count(),
            as_of=now,
            counted_before=fetched.fetched_at,
            caught_up=caught_up,
            from_pages=counted.from_pages,
        )

    def _reread(self) -> tuple[list[BillingEvent], bool]:
        """The events of the newest pages, fresh from Katalo; True when they reach the ledger's end."""
        events: list[BillingEvent] = []
        cursor: str | None = None
        for _ in range(REREAD_PAGES):
            page = self.client.events_page(cursor, refresh=True).value
            events.extend(page.events)
            cursor = page.next_cursor
            if cursor is None:
                return events, True
        return events, False


@dataclass(frozen=True)
class _Counted:
    """The billing period and its events created before the summary's moment (none without a period)."""

    period: tuple[datetime, datetime] | None = None
    totals: SpendTotals | None = None
    from_pages: int = 0  # billable events only on the re-read pages

    @property
    def billable(self) -> int:
        return self.totals.billable_events if self.totals else 0


def _count(
    engine: Engine,
    period: tuple[datetime, datetime],
    moment: datetime,
    events: list[BillingEvent],
    state: SyncState,
) -> _Counted:
    """The mirror's events of `period` created before `moment`, with those only on the re-read pages."""
    window = counted_window(*period, moment)
    pages = not_yet_mirrored(engine, events, window, state.complete_through)
    return _Counted(period, _with_pages(SpendQueries(engine).totals(*window), pages), pages.billable)


def _caught_up(state: SyncState, moment: datetime, events: list[BillingEvent], reached_end: bool) -> bool:
    """Whether the mirror, with the pages read after the summary, holds every event created before it."""
    if state.last_success_at is not None and state.last_success_at >= moment:
        return True  # a sync caught up with the ledger at or after the summary's moment
    return pages_cover(
        events, order=state.page_order, reached_end=reached_end, complete_through=state.complete_through
    )


def _with_pages(mirror: SpendTotals, pages: PagesTally) -> SpendTotals:
    """The mirror's totals and the re-read events it does not hold yet (`jobs`, not shown: the mirror's)."""
    return SpendTotals(
        mirror.amount_usd + pages.amount_usd,
        mirror.billable_events + pages.billable,
        mirror.unbilled_events + pages.unbilled,
        mirror.jobs,
    )
